"""Tests of mtebkit.cli."""
