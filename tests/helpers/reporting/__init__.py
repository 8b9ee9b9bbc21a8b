"""Builders of result folders and a stub encoder for the reporting tests."""
