"""Deliberate mutations of ``neurosim/core`` and the tests that must kill them (``python -m tests.mutations``)."""
