"""How much SummEval's main score moves with float32 rounding: mteb + sentence-transformers
against mtebkit, each at several encode batch sizes (all-MiniLM-L6-v2, the real mirror).

SummEval scores each document by the Spearman correlation, over its 16 machine summaries, of
human relevance with the best cosine to the human summaries; summaries of one document often
score within 1e-7 of each other, below float32's resolution of those cosines, so their order
(and the correlation) follows the rounding of the forward pass. sentence-transformers' rounding
depends on how texts are padded into batches; mtebkit's batches are length-sorted by tokens.

    python bench/bench_summeval_noise.py            # writes bench/results/summeval_noise.json
"""

from __future__ import annotations

import os

import _common as C

BATCH_SIZES = (8, 16, 32, 64, 128)


def main() -> None:
    import mteb
    import torch
    from sentence_transformers import SentenceTransformer

    from mtebkit.models import Embedder
    from mtebkit.tasks import get_tasks

    torch.set_num_threads(1)
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    models = {
        "mteb + sentence-transformers": SentenceTransformer(C.model_path(), device="cpu"),
        "mtebkit": Embedder("sentence-transformers/all-MiniLM-L6-v2", cpu_lanes=1),
    }
    rows = []
    for side, model in models.items():
        for bs in BATCH_SIZES:
            (task,) = get_tasks(["SummEval"], data_dir=C.data_dir())
            res = mteb.evaluate(
                model, task, cache=None, overwrite_strategy="always", show_progress_bar=False,
                co2_tracker=False, encode_kwargs={"batch_size": bs},
            )  # fmt: skip
            rows.append(
                {
                    "side": side,
                    "batch_size": bs,
                    "main_score_x100": 100 * res.task_results[0].get_score(),
                }
            )
            print(rows[-1], flush=True)
    C.table(
        rows, ["side", "batch_size", "main_score_x100"], title="SummEval main score by batch size"
    )
    C.write_result("summeval_noise", {"rows": rows})


if __name__ == "__main__":
    main()
