"""Tests of mtebkit.tasks."""
