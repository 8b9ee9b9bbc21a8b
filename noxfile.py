"""Developer sessions, which are also what ``.ci/run`` runs.

``nox -s fast`` (the fast loop), ``nox -s tests`` (the whole suite), ``nox -s lint``, ``nox -s
typecheck``, ``nox -s docs`` (the documentation site, built with ``--strict``), ``nox -s kernels``
(the engine tests again with other CPUs' kernels), ``nox -s ray`` (the Ray tests, in a
loopback-only network namespace; needs root and ``unshare``).

By default each session gets its own venv, installed with ``constraints.txt`` (the one torch pin:
its CPU build). ``.ci/run`` installs once and runs them with ``--no-venv --no-install``.
"""

from __future__ import annotations

import secrets
import tempfile

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True

CONSTRAINTS = ("-c", "constraints.txt")  # torch's CPU wheel; a bare "torch" pulls CUDA builds
LINTED = ("src", "tests", "bench", "noxfile.py")
# The tests whose numbers depend on the CPU's kernels (docs/invariance.md).
ENGINE_TESTS = (
    "tests/models/test_batch_invariance.py",
    "tests/evaluation/test_shard.py",
    "tests/models/test_embedding_cache.py",
    "tests/models/test_embedder.py",
    "tests/models/test_cpu_kernels.py",
    "tests/models/test_encoding_core.py",
    "tests/models/test_classification_vectors.py",
    "tests/models/test_engine_version.py",
)
RAY_TESTS = ("tests/evaluation/test_ray.py", "tests/evaluation/test_ray_schedule.py")


def _install(session: nox.Session, extras: str = "dev") -> None:
    session.install(*CONSTRAINTS, "-e", f".[{extras}]")


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite (the README's test command); with the ``train`` extra, so the
    training-loop evaluator's test runs (it skips without it)."""
    _install(session, "dev,train")
    session.run("pytest", *session.posargs)


@nox.session
def fast(session: nox.Session) -> None:
    """The fast loop: everything but the tests marked slow, on every core (pytest-xdist)."""
    _install(session, "dev,train")
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
    _install(session, "docs")  # the CLI reference page imports the package's parser
    with tempfile.TemporaryDirectory(prefix="mtebkit-site.") as site:
        session.run("mkdocs", "build", "--strict", "--site-dir", site, *session.posargs)


@nox.session
def kernels(session: nox.Session) -> None:
    """The engine, cache, shard and vector-equality tests with other CPUs' kernels
    (docs/invariance.md): (1) every kernel library capped at AVX2, as on an AVX2-only machine (a
    no-op on one); (2) torch's default (MKL) linears instead of mtebkit's oneDNN ones, ATen
    without SIMD, oneDNN at SSE4.1, MKL at SSE4.2."""
    _install(session)
    args = ("pytest", "-p", "no:cacheprovider", *ENGINE_TESTS, *session.posargs)
    avx2 = {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"}
    session.run(*args, env={**avx2, "MKL_ENABLE_INSTRUCTIONS": "AVX2"})
    other = {"MTEBKIT_ONEDNN": "0", "ATEN_CPU_CAPABILITY": "default"}
    other |= {"ONEDNN_MAX_CPU_ISA": "SSE41", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2"}
    session.run(*args, env=other)


@nox.session
def ray(session: nox.Session) -> None:
    """The Ray tests (marker ``ray``; a plain ``pytest`` skips them: no MTEBKIT_RAY_TESTS), in a
    new network namespace that has only ``lo`` (docs/ray.md): Ray 2.60 probes 8.8.8.8 and the
    cloud-metadata address at start-up; there every probe fails at once and nothing leaves the
    machine. A new PID namespace too, so no Ray process outlives the session. Token auth with one
    token for every process, a private temp dir, no usage stats. Never ``ray stop``: it kills
    every Ray process on the machine."""
    _install(session, "dev,ray")
    with tempfile.TemporaryDirectory(prefix="rayci.") as ray_tmp:
        env = {"MTEBKIT_RAY_TESTS": "1", "RAY_AUTH_MODE": "token"}
        env |= {"RAY_AUTH_TOKEN": secrets.token_hex(16), "RAY_TMPDIR": ray_tmp}
        env |= {"RAY_USAGE_STATS_ENABLED": "0"}
        pytest = " ".join(("exec pytest -m ray", *RAY_TESTS, *session.posargs))
        namespace = ("timeout", "900", "unshare", "--net", "--pid", "--fork", "--mount-proc")
        session.run(
            *namespace, "bash", "-c", f"ip link set lo up && {pytest}", env=env, external=True
        )
