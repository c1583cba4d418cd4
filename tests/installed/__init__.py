"""Tests of the installed artifact: the sdist and wheel built from the checkout, run from a venv."""
