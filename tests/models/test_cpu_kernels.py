"""oneDNN linear layers on CPU: same outputs as torch's default kernels, opt-out, no surprises."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.lazy import lazy_module, skip_unless_installed
from tests.helpers.tiny_models import tiny_bert_config

skip_unless_installed("torch", "transformers")
# imported on first use, not while pytest collects (tests/test_collection_imports.py)
torch = lazy_module("torch")
transformers = lazy_module("transformers")
K = lazy_module("mtebkit.models._cpu_kernels")

# a string condition: evaluated when each test is set up, not at collection
pytestmark = pytest.mark.skipif(
    "not K.onednn_available()", reason="this torch build has no working oneDNN linear kernels"
)


def _bert(hidden_act: str = "gelu") -> torch.nn.Module:
    cfg = tiny_bert_config(50, max_position_embeddings=64, hidden_act=hidden_act)
    torch.manual_seed(0)
    return transformers.BertModel(cfg).eval()


def _run(model: torch.nn.Module) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(5, 50, (3, 9), generator=g)
    mask = torch.ones_like(ids)
    mask[1, 6:] = 0  # one padded row: the mask path runs too
    with torch.inference_mode():
        out: torch.Tensor = model(input_ids=ids, attention_mask=mask).last_hidden_state
    return out


def test_swap_fuses_exact_gelu_and_keeps_outputs() -> None:
    ref_model = _bert()
    model = copy.deepcopy(ref_model)
    n = K.use_onednn_linears(model)
    # per layer: query, key, value, attention output, intermediate (fused), output; + pooler
    assert n == 2 * 6 + 1
    inter = model.encoder.layer[0].intermediate
    assert isinstance(inter.dense, K.OneDnnLinear) and inter.dense.gelu
    assert isinstance(inter.intermediate_act_fn, torch.nn.Identity)
    assert not any(type(m) is torch.nn.Linear for m in model.modules())
    got, ref = _run(model), _run(ref_model)
    assert float((got - ref).abs().max()) < 1e-5


def test_tanh_gelu_is_not_fused_but_linears_are_swapped() -> None:
    ref_model = _bert("gelu_new")  # tanh approximation: oneDNN's erf GELU would change numbers
    model = copy.deepcopy(ref_model)
    K.use_onednn_linears(model)
    inter = model.encoder.layer[0].intermediate
    assert isinstance(inter.dense, K.OneDnnLinear) and not inter.dense.gelu
    assert not isinstance(inter.intermediate_act_fn, torch.nn.Identity)
    assert float((_run(model) - _run(ref_model)).abs().max()) < 1e-5


def test_half_precision_models_are_left_alone() -> None:
    model = _bert().half()
    assert K.use_onednn_linears(model) == 0
    assert any(type(m) is torch.nn.Linear for m in model.modules())


def test_env_switch_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(K.ENV_SWITCH, "0")
    model = _bert()
    assert K.use_onednn_linears(model) == 0


def test_embedder_uses_it_and_records_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mtebkit import Embedder
    from tests.helpers.tiny_models import make_tiny_bert

    path = make_tiny_bert(tmp_path / "m")
    texts = ["the cat plays", "a dog runs in the city", "music"]
    fast = Embedder(path, device="cpu")
    monkeypatch.setenv(K.ENV_SWITCH, "0")
    plain = Embedder(path, device="cpu")
    assert (fast.cpu_kernels, plain.cpu_kernels) == ("onednn", "default")
    assert fast.settings_record()["cpu_kernels"] == "onednn"
    # the parameter count in mteb's model meta is the model's, not what is left after the swap
    assert fast.mteb_model_meta.n_parameters == plain.mteb_model_meta.n_parameters
    np.testing.assert_allclose(fast.encode(texts), plain.encode(texts), atol=1e-6)


def test_swapped_models_can_be_copied_and_pickled() -> None:
    import pickle

    model = _bert()
    K.use_onednn_linears(model)
    ref = _run(model)
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert isinstance(clone.encoder.layer[0].intermediate.dense, K.OneDnnLinear)
        assert torch.equal(_run(clone), ref)
