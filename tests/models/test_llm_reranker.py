"""FlagLLMReranker on tiny causal LMs: the prompt FlagEmbedding 1.4 builds, and the "Yes"
logit of transformers' own full forward pass (one pair at a time, no padding), in any batch;
Gemma 2's logit soft-capping applied."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from mtebkit import ConfigError, FlagLLMReranker
from tests.helpers.tiny_decoders import make_tiny_causal_lm
from tests.helpers.tiny_models import varied_texts

TEXTS = varied_texts(16)
PAIRS = [(TEXTS[i], TEXTS[-1 - i] + " " + TEXTS[i]) for i in range(8)]


@pytest.fixture(scope="module", params=["qwen2", "gemma2"])
def lm(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_causal_lm(tmp_path_factory.mktemp("lm") / request.param, arch=request.param)


def _reference(folder: Path, pairs: list[tuple[str, str]], max_length: int) -> list[float]:
    """FlagEmbedding's protocol, written out: BOS + "A: q" + "\\n" + "B: p" + "\\n" + prompt,
    the full model's logits at the last position, the "Yes" column."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    prompt = (
        "Given a query A and a passage B, determine whether the passage contains an answer "
        "to the query by providing a prediction of either 'Yes' or 'No'."
    )

    def ids(text: str, limit: int | None = None) -> list[int]:
        return tok(text, add_special_tokens=False, truncation=limit is not None, max_length=limit)[
            "input_ids"
        ]

    yes = ids("Yes")[0]
    sep, pr = ids("\n"), ids(prompt)
    scores = []
    with torch.no_grad():
        for q, p in pairs:
            first = [tok.bos_token_id, *ids("A: " + q, max_length * 3 // 4)]
            second = (sep + ids("B: " + p, max_length))[
                : max_length + len(sep) + len(pr) - len(first)
            ]
            row = torch.tensor([first + second + sep + pr])
            scores.append(float(model(input_ids=row).logits[0, -1, yes]))
    return scores


@pytest.mark.parametrize("batch_size", [1, 3, 64])
def test_scores_are_the_yes_logit_of_flagembeddings_prompt(lm: Path, batch_size: int) -> None:
    model = FlagLLMReranker(lm, batch_size=batch_size, max_length=24)
    want = _reference(lm, PAIRS, 24)
    got = model.compute_score(PAIRS)
    assert got == pytest.approx(want, abs=1e-5)
    assert model.compute_score(PAIRS[0], normalize=True) == pytest.approx(
        1 / (1 + math.exp(-want[0])), abs=1e-6
    )


def test_the_prompt_is_flagembeddings(lm: Path) -> None:
    model = FlagLLMReranker(lm, max_length=64)
    tok = model.tokenizer
    text = tok.decode(model.pair_ids("a cat", "the dog"))
    assert text.startswith("<bos>A: a cat\nB: the dog\nGiven a query A and a passage B")
    assert model.settings_record()["protocol"] == "llm-yes-logit"
    # the passage is cut, never the prompt: the pair stays within max_length + sep + prompt
    long = model.pair_ids("a cat", " ".join(TEXTS), max_length=20)
    assert tok.decode(long).endswith("either 'Yes' or 'No'.")


def test_bad_options_are_named(lm: Path) -> None:
    with pytest.raises(ConfigError, match="peft_path"):
        FlagLLMReranker(lm, peft_path="adapter")
    with pytest.raises(ConfigError, match="unknown FlagLLMReranker options: cutoff_layers"):
        FlagLLMReranker(lm, cutoff_layers=[28])
    with pytest.raises(ConfigError, match="plus the prompt"):
        FlagLLMReranker(lm, max_length=240).compute_score(("a " * 300, "b " * 300))
