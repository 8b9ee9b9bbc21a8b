"""Developer sessions: ``nox -s fast`` (the fast loop), ``nox -s tests``, ``nox -s lint``,
``nox -s typecheck``, ``nox -s docs`` (the documentation site, built with ``--strict``).

Sessions reuse the current interpreter's environment when run with ``--no-venv`` (CI does the
install once); by default each gets its own venv with the CPU build of torch.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True

TORCH_CPU = "torch==2.13.0"  # a CPU wheel; a bare "torch" pulls a multi-GB CUDA build
LINTED = ("src", "tests", "bench", "noxfile.py")


def _install(session: nox.Session) -> None:
    session.install(TORCH_CPU)
    session.install("-e", ".[dev]")


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite (what CI runs)."""
    _install(session)
    session.run("pytest", *session.posargs)


@nox.session
def fast(session: nox.Session) -> None:
    """The fast loop: everything but the tests marked slow, on every core (pytest-xdist)."""
    _install(session)
    session.run("pytest", "-m", "not slow", "-q", "-n", "auto", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", *LINTED)
    session.run("ruff", "format", "--check", *LINTED)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy in strict mode (configured in pyproject.toml)."""
    _install(session)
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site with ``--strict``: a broken link or reference fails.

    The output goes to a temporary folder (``nox -s docs -- --site-dir site`` keeps it)."""
    session.install(TORCH_CPU)  # the package's own dependency; the CLI reference imports its parser
    session.install("-e", ".[docs]")
    site = session.create_tmp()
    session.run("mkdocs", "build", "--strict", "--site-dir", site, *session.posargs)
