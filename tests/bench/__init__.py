"""Tests of bench/ (the benchmark scripts' shared code)."""
