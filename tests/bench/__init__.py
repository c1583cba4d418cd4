"""Benchmarks of tempmail-tui against its speed targets: run them with ``python -m tests.bench``."""
