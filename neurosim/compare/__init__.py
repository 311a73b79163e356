"""Comparison against a reference simulator: the same network built and run in Brian2, and agreement metrics."""
