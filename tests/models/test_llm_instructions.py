"""LLM embedders take mteb's per-task instruction (the task's ``prompt``, read from mteb's
registry, not a copied table) on every text but documents, as mteb's instruct-model wrapper
applies it; bge presets keep theirs (queries of retrieval and reranking only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mtebkit.models import Embedder, get_preset
from mtebkit.models._instructions import mteb_task_instruction
from tests.helpers.tiny_decoders import make_tiny_decoder
from tests.helpers.tiny_models import varied_texts

TEXTS = varied_texts(6)
E5 = "intfloat/e5-mistral-7b-instruct"


@pytest.fixture(scope="module")
def decoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_decoder(tmp_path_factory.mktemp("dec") / "m")


def _batches(texts: list[str]) -> list[dict[str, list[str]]]:
    return [{"text": texts[:3]}, {"text": texts[3:]}]


def test_the_instruction_is_mtebs_prompt_for_the_task() -> None:
    import mteb
    from mteb.abstasks.abstask import get_abstask_prompt

    scifact = mteb.get_task("SciFact").metadata.prompt
    assert isinstance(scifact, dict)
    assert mteb_task_instruction("SciFact") == scifact["query"]
    # no prompt of its own: its task type's (AbsTaskSTS.abstask_prompt), as mteb falls back
    assert mteb.get_task("STSBenchmark").metadata.prompt is None
    assert mteb_task_instruction("STSBenchmark") == get_abstask_prompt("STSBenchmark")
    assert get_abstask_prompt("STSBenchmark")
    assert mteb_task_instruction("NoSuchTaskAnywhere") is None


def test_every_text_but_documents_gets_it_in_the_models_template(decoder: Path) -> None:
    import mteb
    from mteb.types import PromptType

    model = Embedder(decoder, preset=E5, max_length=64, batch_size=4)
    plain = Embedder(decoder, max_length=64, batch_size=4, pooling="last_token")
    preset = get_preset(E5)
    assert preset.task_instructions == "mteb" and preset.append_eos
    template = model.query_template
    sts = mteb.get_task("STSBenchmark").metadata
    instr = mteb_task_instruction("STSBenchmark")
    assert instr
    # symmetric task (no prompt type): both sides get the instruction
    got = model.encode(_batches(TEXTS), task_metadata=sts, prompt_type=None)
    want = model.encode([template.format(instr, t) for t in TEXTS])
    np.testing.assert_array_equal(got, want)
    assert model.instruction_for("STSBenchmark", "STS") == instr
    # retrieval: queries get SciFact's instruction, documents none
    sci = mteb.get_task("SciFact").metadata

    q = model.encode(_batches(TEXTS), task_metadata=sci, prompt_type=PromptType.query)
    sci_instr = mteb_task_instruction("SciFact")
    np.testing.assert_array_equal(q, model.encode([template.format(sci_instr, t) for t in TEXTS]))
    d = model.encode(_batches(TEXTS), task_metadata=sci, prompt_type=PromptType.document)
    np.testing.assert_array_equal(d, model.encode(TEXTS))
    # a per-task override wins; instructions off gives none; a bge-style model keeps its rule
    over = Embedder(decoder, preset=E5, max_length=64, task_instructions={"STSBenchmark": "x"})
    assert over.instruction_for("STSBenchmark", "STS") == "x"
    off = Embedder(decoder, preset=E5, max_length=64, use_instructions=False)
    assert off.instruction_for("SciFact", "Retrieval") is None
    assert plain.instruction_for("STSBenchmark", "STS") is None
