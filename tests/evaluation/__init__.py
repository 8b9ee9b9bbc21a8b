"""Tests of mtebkit.evaluation."""
