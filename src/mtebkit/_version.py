"""The package version (one place; the CLI and ``mtebkit.__version__`` read it)."""

__version__ = "0.1.0"
