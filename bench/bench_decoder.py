"""Decoder-only encoding on CPU: ``mtebkit.FlagLLMModel`` vs ``SentenceTransformer.encode`` on
the same last-token-pooled Qwen2 folder (random weights, built here: no LLM weights exist
offline) and the same real texts, side by side in one process, interleaved run by run; the
best of ``--repeats`` counts. Then the resident memory each side adds while it encodes one
batch of long inputs (``--long-tokens`` each; sampled every 2 ms), each side in a fresh child
process, over what the loaded model already holds.

    python bench/bench_decoder.py [--quick] [--repeats 3] [--long-tokens 8192]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import _common as C

sys.path.insert(0, str(C.REPO))  # the tiny-model builders the tests use

HIDDEN, LAYERS, INTERMEDIATE = 256, 4, 1024


def build(folder: Path, positions: int) -> Path:
    """A Qwen2 embedder folder (sentence-transformers layout, last-token pooling, normalised)."""
    import torch
    from transformers import AutoModel, Qwen2Config

    from tests.helpers.tiny_decoders import make_tiny_decoder

    make_tiny_decoder(folder, arch="qwen2", max_length=512)  # tokenizer + ST modules
    tok_vocab = json.loads((folder / "config.json").read_text())["vocab_size"]
    cfg = Qwen2Config(
        vocab_size=tok_vocab,
        hidden_size=HIDDEN,
        intermediate_size=INTERMEDIATE,
        num_hidden_layers=LAYERS,
        num_attention_heads=8,
        num_key_value_heads=4,
        max_position_embeddings=positions,
        pad_token_id=0,
    )
    torch.manual_seed(0)
    AutoModel.from_config(cfg).eval().save_pretrained(folder)
    pooling = folder / "1_Pooling" / "config.json"
    pooling.write_text(
        json.dumps({"word_embedding_dimension": HIDDEN, "pooling_mode_lasttoken": True})
    )
    return folder


def throughput(folder: Path, texts: list[str], repeats: int, batch_size: int) -> dict[str, Any]:
    from sentence_transformers import SentenceTransformer

    from mtebkit import FlagLLMModel

    ours = FlagLLMModel(folder, batch_size=batch_size, passage_max_length=512)
    st = SentenceTransformer(str(folder), device="cpu")
    st.max_seq_length = 512
    best = {"mtebkit": float("inf"), "sentence-transformers": float("inf")}
    vecs: dict[str, np.ndarray] = {}
    for _ in range(repeats):  # interleaved: load on the machine hits both alike
        for name, fn in (
            ("mtebkit", lambda: ours.encode(texts)),
            ("sentence-transformers", lambda: st.encode(texts, batch_size=batch_size)),
        ):
            t = time.perf_counter()
            vecs[name] = np.asarray(fn())
            best[name] = min(best[name], time.perf_counter() - t)
    tokens = sum(C.token_lengths(ours.engine.tokenizer, texts, 512))
    return {
        "texts": len(texts),
        "tokens": tokens,
        "seconds": best,
        "texts_per_s": {k: len(texts) / v for k, v in best.items()},
        "speedup": best["sentence-transformers"] / best["mtebkit"],
        "max_abs_diff": float(np.abs(vecs["mtebkit"] - vecs["sentence-transformers"]).max()),
    }


_CHILD = """
import json, sys, threading, time
import psutil
sys.path.insert(0, {repo!r})
side, folder, n, length = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
words = ("the cat sat on a mat while a dog ran past the old red barn " * 2000).split()
from transformers import AutoTokenizer
tok = AutoTokenizer.from_pretrained(folder)
ids = tok(" ".join(words), add_special_tokens=False)["input_ids"][: length - 1]
texts = [tok.decode(ids[i:] + ids[:i]) for i in range(n)]  # n distinct long texts
if side == "mtebkit":
    from mtebkit import FlagLLMModel
    m = FlagLLMModel(folder, batch_size=n, passage_max_length=length)
    run = lambda: m.encode(texts)
else:
    from sentence_transformers import SentenceTransformer
    m = SentenceTransformer(folder, device="cpu")
    m.max_seq_length = length
    run = lambda: m.encode(texts, batch_size=n)
proc = psutil.Process()
base = proc.memory_info().rss
peak = [base]
done = threading.Event()
def watch():  # resident memory sampled every 2 ms while the batch encodes
    while not done.is_set():
        peak[0] = max(peak[0], proc.memory_info().rss)
        time.sleep(0.002)
w = threading.Thread(target=watch)
w.start()
t = time.perf_counter()
run()
seconds = time.perf_counter() - t
done.set()
w.join()
print(json.dumps({{"loaded_mib": base / 2**20, "peak_mib": peak[0] / 2**20,
                  "encode_peak_over_load_mib": (peak[0] - base) / 2**20, "seconds": seconds}}))
"""


def long_memory(folder: Path, n: int, length: int) -> dict[str, Any]:
    out: dict[str, Any] = {"texts": n, "tokens_each": length}
    code = _CHILD.format(repo=str(C.REPO / "src"))
    for side in ("mtebkit", "sentence-transformers"):
        proc = subprocess.run(
            [sys.executable, "-c", code, side, str(folder), str(n), str(length)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            out[side] = {"error": proc.stderr.strip().splitlines()[-1:]}
            continue
        out[side] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer texts, shorter long inputs")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--long-tokens", type=int, default=8192)
    ap.add_argument("--long-texts", type=int, default=4)
    args = ap.parse_args()
    n_sts, n_docs = (200, 50) if args.quick else (1000, 300)
    length = 2048 if args.quick else args.long_tokens
    texts = C.sts_sentences()[:n_sts] + C.scifact_docs()[:n_docs]
    with tempfile.TemporaryDirectory(prefix="mtebkit-bench-dec-") as tmp:
        folder = build(Path(tmp) / "qwen2", positions=max(length, 512))
        speed = throughput(folder, texts, args.repeats, args.batch_size)
        memory = long_memory(folder, args.long_texts, length)
    rows = [
        {
            "side": side,
            "texts/s": speed["texts_per_s"][side],
            "seconds": speed["seconds"][side],
            f"peak MiB ({args.long_texts}×{length} tok)": memory[side].get("peak_mib", "error"),
            "encode peak over load MiB": memory[side].get("encode_peak_over_load_mib", "error"),
        }
        for side in ("mtebkit", "sentence-transformers")
    ]
    C.table(
        rows,
        list(rows[0]),
        title=f"Qwen2 {HIDDEN}-dim × {LAYERS} layers, {speed['texts']} real texts "
        f"({speed['tokens']:,} tokens), max |Δ| {speed['max_abs_diff']:.1e}, "
        f"mtebkit {speed['speedup']:.2f}× ST",
    )
    name = C.result_name("decoder", quick=args.quick)
    path = C.write_result(
        name,
        {"model": {"hidden": HIDDEN, "layers": LAYERS}, "throughput": speed, "long_inputs": memory},
    )
    print(f"written {path}")


if __name__ == "__main__":
    main()
