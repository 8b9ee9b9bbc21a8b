"""Tests of mtebkit.reporting."""
