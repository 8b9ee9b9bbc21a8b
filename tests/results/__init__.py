"""Tests of mtebkit.results."""
