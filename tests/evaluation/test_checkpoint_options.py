"""A checkpoint with no preset: pooling, normalisation, a global query instruction and separate
query / passage max lengths, from ``mtebkit run`` to the recorded settings and experiment."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mtebkit.cli import main
from tests.helpers.tiny_models import make_tiny_bert


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_bert(
        tmp_path_factory.mktemp("m") / "tiny",
        st_config={"pooling": "mean", "normalize": True, "max_length": 64},
    )


def test_options_are_recorded_and_name_an_experiment(tiny: Path, tmp_path: Path) -> None:
    results = tmp_path / "r"
    task = "mteb.mocks.mock_tasks.retrieval:MockRetrievalTask"
    argv = ["run", "-m", str(tiny), "-t", task, "--results", str(results), "-q", "--no-cache"]
    options = ["--pooling", "cls", "--no-normalize", "--query-instruction", "query: "]
    assert main([*argv, *options, "--query-max-length", "16"]) == 0
    (path,) = results.rglob("MockRetrievalTask.json")
    assert "experiments" in path.parts
    settings = json.loads(path.read_text())["mtebkit"]["settings"]
    assert settings["pooling"] == "cls" and settings["normalize"] is False
    assert settings["query_instruction"] == "query: " and settings["query_max_length"] == 16
    assert settings["max_length"] == 64
    # the defaults again: the plain folder, no query_max_length recorded
    assert main(argv) == 0
    plain = [p for p in results.rglob("MockRetrievalTask.json") if "experiments" not in p.parts]
    (default,) = plain
    assert "query_max_length" not in json.loads(default.read_text())["mtebkit"]["settings"]


def test_query_max_length_applies_to_queries_only(tiny: Path) -> None:
    from mteb.mocks.mock_tasks.retrieval import MockRetrievalTask
    from mteb.types import PromptType

    from mtebkit import Embedder

    long = " ".join(["word"] * 50)
    emb = Embedder(tiny, query_max_length=8)
    meta = MockRetrievalTask.metadata
    batch = [{"text": [long]}]
    query = emb.encode(batch, task_metadata=meta, prompt_type=PromptType.query)
    doc = emb.encode(batch, task_metadata=meta, prompt_type=PromptType.document)
    np.testing.assert_array_equal(query, emb.encode([long], max_length=8))
    np.testing.assert_array_equal(doc, emb.encode([long]))
    assert not np.array_equal(query, doc)


def test_query_template_joins_instruction_and_query(tiny: Path, tmp_path: Path) -> None:
    from mtebkit import Embedder

    plain = Embedder(tiny, query_instruction="query: ")
    templated = Embedder(tiny, query_instruction="query", query_instruction_format="<{}> {}")
    direct = plain.encode(["<query> how big is the city"])
    np.testing.assert_array_equal(templated.encode_queries(["how big is the city"]), direct)
    assert templated.settings_record()["query_template"] == "<{}> {}"
    assert "query_template" not in plain.settings_record()  # the default is not recorded
    with pytest.raises(Exception, match="two \\{\\} fields"):
        Embedder(tiny, query_instruction_format="{} only")

    results = tmp_path / "r"
    task = "mteb.mocks.mock_tasks.retrieval:MockRetrievalTask"
    argv = ["run", "-m", str(tiny), "-t", task, "--results", str(results), "-q", "--no-cache"]
    assert main([*argv, "--query-instruction", "q", "--query-template", "{}: {}"]) == 0
    (path,) = results.rglob("MockRetrievalTask.json")
    assert "query_template" in path.parent.name  # a non-default template names an experiment
    settings = json.loads(path.read_text())["mtebkit"]["settings"]
    assert settings["query_template"] == "{}: {}" and settings["query_instruction"] == "q"
    assert main([*argv, "--query-template", "{}"]) == 2  # refused before anything runs
