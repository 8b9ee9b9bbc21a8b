"""Progress of a run: task n of N, texts encoded of the total, texts/s, ETA; live or plain lines."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from mtebkit.evaluation import InProcessExecutor, ProgressReporter, RunConfig, execute, plan
from mtebkit.evaluation._progress import format_duration
from tests.helpers.tiny_models import make_tiny_bert


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_are_periodic_and_carry_rate_and_eta() -> None:
    out, clock = io.StringIO(), Clock()
    p = ProgressReporter(out, live=False, interval=30, clock=clock)
    p.task_started(2, 5, "SciFact")
    p.encoded(0, 1000)
    clock.now = 10
    p.encoded(100, 1000)  # within the interval: no line
    clock.now = 40
    p.encoded(400, 1000)
    clock.now = 41
    p.encoded(1000, 1000)  # the last batch of a call: no line of its own off a terminal
    p.task_finished()  # the task's encoding ends in one line
    lines = out.getvalue().splitlines()
    assert len(lines) == 3, lines
    assert "[2/5] starting  SciFact" in lines[0]
    assert "[2/5] encoding 400/1,000 texts" in lines[1] and lines[1].endswith("SciFact")
    assert "10.0 texts/s" in lines[1] and "ETA 1m00s" in lines[1]
    assert "[2/5] encoded 1,000 texts" in lines[2] and "ETA" not in lines[2]
    assert "\r" not in out.getvalue()


def test_live_line_redraws_in_place_fits_and_is_cleared() -> None:
    out, clock = io.StringIO(), Clock()
    p = ProgressReporter(out, live=True, width=60, clock=clock)
    p.task_started(1, 1, "A" * 100)
    p.encoded(0, 10)
    clock.now = 1
    p.encoded(5, 10)
    p.task_finished()
    text = out.getvalue()
    assert "\n" not in text
    assert all(len(seg) <= 60 for seg in text.split("\r"))
    assert text.endswith("\r" + " " * 60 + "\r")


def test_not_a_terminal_means_plain_lines() -> None:
    assert ProgressReporter(io.StringIO()).live is False


@pytest.mark.parametrize(("s", "text"), [(5, "5s"), (185, "3m05s"), (3720, "1h02m")])
def test_durations_read_as_a_person_writes_them(s: float, text: str) -> None:
    assert format_duration(s) == text


def test_executor_reports_each_task_and_the_engine_its_texts(tmp_path: Path) -> None:
    model = make_tiny_bert(tmp_path / "tiny", st_config={"pooling": "mean", "max_length": 32})
    config = RunConfig(
        models=[str(model)],
        tasks=[
            "mteb.mocks.mock_tasks.sts:MockSTSTask",
            "mteb.mocks.mock_tasks.retrieval:MockRetrievalTask",
        ],
        results_dir=tmp_path / "results",
        use_cache=False,
    )
    out = io.StringIO()
    progress = ProgressReporter(out, live=False, interval=0)
    execute(plan(config), InProcessExecutor(progress=progress))
    text = out.getvalue()
    assert "[1/2] starting  local/tiny / MockSTSTask" in text
    assert "[2/2] starting  local/tiny / MockRetrievalTask" in text
    assert "texts/s" in text and "encoding" in text


def _config(tmp_path: Path, task: Any) -> RunConfig:
    model = make_tiny_bert(tmp_path / "tiny", st_config={"pooling": "mean", "max_length": 32})
    return RunConfig(
        models=[str(model)],
        tasks=[task],
        results_dir=tmp_path / "results",
        use_cache=False,
        show_progress=False,
    )


def test_superseded_notice_is_said_once_on_its_own_line(tmp_path: Path) -> None:
    from tests.helpers.mock_tasks import OldSTS

    out = io.StringIO()
    execute(plan(_config(tmp_path, OldSTS)), InProcessExecutor(progress=ProgressReporter(out)))
    said = [line for line in out.getvalue().splitlines() if "is superseded by" in line]
    assert len(said) == 1 and said[0].startswith("  warning: ")


def test_library_warning_goes_through_progress_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.helpers.mock_tasks import WarnSTS

    out = io.StringIO()
    execute(plan(_config(tmp_path, WarnSTS)), InProcessExecutor(progress=ProgressReporter(out)))
    lines = [line for line in out.getvalue().splitlines() if "fake library warning" in line]
    assert lines == ["  warning: UserWarning: fake library warning"]
    assert "fake library warning" not in capsys.readouterr().err


def test_quiet_run_silences_library_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.helpers.mock_tasks import WarnSTS

    execute(plan(_config(tmp_path, WarnSTS)), InProcessExecutor())
    assert "fake library warning" not in capsys.readouterr().err


def test_eta_counts_tokens_when_known() -> None:
    from mtebkit.evaluation._progress import eta

    # longest first: 10% of the texts were 50% of the tokens, in 30 s -> 30 s left, not 270 s
    assert eta(30.0, 100, 1000, 5000, 10000) == pytest.approx(30.0)
    assert eta(30.0, 100, 1000) == pytest.approx(270.0)  # no token counts: by texts
    assert eta(30.0, 100, 1000, 0, 10000) == pytest.approx(270.0)  # no token done yet


def test_plain_line_eta_from_tokens() -> None:
    out, clock = io.StringIO(), Clock()
    p = ProgressReporter(out, live=False, interval=1, clock=clock)
    p.task_started(1, 3, "Banking77")
    p.encoded(0, 1000, 0, 20000)
    clock.now = 60
    p.encoded(100, 1000, 10000, 20000)
    assert "ETA 1m00s" in out.getvalue().splitlines()[-1]


def test_off_a_terminal_a_task_says_its_encoded_texts_once() -> None:
    # an STS task encodes each sentence side in its own call: one line, not two "64/64"
    out, clock = io.StringIO(), Clock()
    p = ProgressReporter(out, live=False, interval=30, clock=clock)
    p.task_started(1, 1, "DemoSTSEn")
    for _ in range(2):
        p.encoded(0, 64)
        clock.now += 1
        p.encoded(64, 64)
    p.task_finished()
    lines = out.getvalue().splitlines()
    assert not [line for line in lines if "64/64" in line], lines
    assert len([line for line in lines if "encoded 128 texts" in line]) == 1, lines
    assert "64.0 texts/s" in lines[-1]


def test_task_and_run_time_left_from_the_planned_sizes() -> None:
    out, clock = io.StringIO(), Clock()
    p = ProgressReporter(out, live=False, interval=1, clock=clock)
    p.plan([1000, 2000])
    p.task_started(1, 2, "Banking77")
    p.encoded(0, 500)
    clock.now = 10
    p.encoded(250, 500)
    line = out.getvalue().splitlines()[-1]
    # 25 texts/s: this call 10 s more, the task's other 500 texts 20 s, the next task 80 s
    assert "ETA 10s" in line and "task ~30s" in line and "run ~1m50s" in line, line


def test_a_task_of_unknown_size_counts_as_the_mean_finished_task() -> None:
    out, clock = io.StringIO(), Clock()
    p = ProgressReporter(out, live=False, interval=1, clock=clock)
    p.plan([None, None])
    p.task_started(1, 2, "A")
    p.task_sized(100)  # counted once its data is loaded
    p.encoded(0, 100)
    clock.now = 10
    p.encoded(50, 100)
    assert "task ~10s" in out.getvalue().splitlines()[-1]
    assert "run ~" not in out.getvalue()  # the next task's size and no finished task: unknown
    clock.now = 20
    p.encoded(100, 100)
    p.task_finished()
    p.task_started(2, 2, "B")
    assert "[2/2] starting" in out.getvalue().splitlines()[-1]


def test_scoring_phase_counts_experiments_after_the_encoded_line() -> None:
    out, clock = io.StringIO(), Clock()
    p = ProgressReporter(out, live=False, interval=30, clock=clock)
    p.plan([10])
    p.task_started(1, 1, "Banking77")
    p.encoded(0, 10)
    clock.now = 1
    p.encoded(10, 10)
    p.experiment(0, 10)
    p.experiment(0, 10)  # mteb logs each experiment twice: said once
    clock.now = 31
    p.experiment(3, 10)
    lines = out.getvalue().splitlines()
    assert "encoded 10 texts" in lines[1]
    assert "scoring 0/10 experiments" in lines[2] and len(lines) == 4, lines
    # 3 experiments in 30 s: 70 s for the other 7
    assert "scoring 3/10 experiments" in lines[3] and "task ~1m10s" in lines[3], lines


def test_live_line_says_scoring_once_a_call_is_over() -> None:
    out, clock = io.StringIO(), Clock()
    p = ProgressReporter(out, live=True, width=120, clock=clock)
    p.task_started(1, 1, "STS")
    p.encoded(0, 64)
    clock.now = 1
    p.encoded(64, 64)
    assert "scoring  encoded 64 texts" in out.getvalue().split("\r")[-1]


def test_executor_reports_classification_experiments(tmp_path: Path) -> None:
    task = "mteb.mocks.mock_tasks.classification:MockClassificationTask"
    out = io.StringIO()
    execute(plan(_config(tmp_path, task)), InProcessExecutor(progress=ProgressReporter(out)))
    text = out.getvalue()
    assert "encoded 4 texts" in text and "scoring 0/10 experiments" in text, text


def _preset_config(tmp_path: Path, task: str) -> RunConfig:
    model = make_tiny_bert(tmp_path / "tiny", st_config={"pooling": "mean", "max_length": 32})
    return RunConfig(
        models=[str(model)],
        tasks=[task],
        preset="sentence-transformers/all-MiniLM-L6-v2",  # its rule: no instruction anywhere
        max_length=32,
        results_dir=tmp_path / "results",
        use_cache=False,
        show_progress=False,
    )


def test_a_spec_instruction_the_preset_drops_is_said_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = io.StringIO()
    config = _preset_config(tmp_path, "DemoRetrievalEn")
    execute(plan(config), InProcessExecutor(progress=ProgressReporter(out)))
    said = [line for line in out.getvalue().splitlines() if "query_instruction" in line]
    assert len(said) == 1, out.getvalue()
    assert said[0].startswith("  warning: DemoRetrievalEn: the spec's query_instruction is not")
    assert "sentence-transformers/all-MiniLM-L6-v2" in said[0]
    # -q: no progress, nothing said
    execute(plan(config), InProcessExecutor())
    assert "query_instruction" not in capsys.readouterr().err


def test_an_applied_or_absent_spec_instruction_is_not_mentioned() -> None:
    from mtebkit.models import InstructionPolicy, get_preset

    bge = get_preset("BAAI/bge-base-zh-v1.5")
    spec = {"T": "instr: "}
    assert (
        InstructionPolicy(preset=bge, spec_instructions=spec).ignored_spec_instruction(
            "T", "Retrieval"
        )
        is None
    )  # the preset's rule applies it
    assert (
        InstructionPolicy(spec_instructions=spec).ignored_spec_instruction("T", "Retrieval") is None
    )  # no preset: the configured instruction decides
    minilm = get_preset("sentence-transformers/all-MiniLM-L6-v2")
    off = InstructionPolicy(preset=minilm, spec_instructions=spec, enabled=False)
    assert off.ignored_spec_instruction("T", "Retrieval") is None  # --no-instruction: asked for


def test_a_task_start_says_the_run_time_left() -> None:
    out, clock = io.StringIO(), Clock()
    p = ProgressReporter(out, live=False, interval=30, clock=clock)
    p.plan([100, 200, None])
    p.task_started(1, 3, "A")
    p.encoded(0, 100)
    clock.now = 10
    p.encoded(100, 100)
    p.task_finished()
    p.task_started(2, 3, "B")
    # 10 texts/s: B 20 s; C of unknown size as long as A took (10 s)
    assert out.getvalue().splitlines()[-1].endswith("[2/3] starting  B  run ~30s left")
