"""Tests of mtebkit.models."""
