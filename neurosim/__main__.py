"""``python -m neurosim ...``: the same command line as the ``neurosim`` script."""
import sys

from .cli import main

sys.exit(main())
