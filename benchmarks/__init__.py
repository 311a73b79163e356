"""neurosim against Brian2 on the Brette et al. (2007) networks; see README.md."""
