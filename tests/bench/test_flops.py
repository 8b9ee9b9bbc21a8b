"""The benchmark's FLOP formula agrees with torch's own FLOP counter on a real BERT forward pass."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import _common


@pytest.mark.parametrize("length", [5, 17, 40])
def test_encoder_flops_match_torch_flop_counter(length: int) -> None:
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    from transformers import BertConfig, BertModel

    cfg = BertConfig(
        vocab_size=50, hidden_size=48, num_hidden_layers=3, num_attention_heads=4,
        intermediate_size=96, max_position_embeddings=64,
    )  # fmt: skip
    # eager attention: its two matmuls are visible to the counter (the fused SDPA kernel is not)
    cfg._attn_implementation = "eager"
    model = BertModel(cfg, add_pooling_layer=False).eval()
    ids = torch.randint(5, 50, (1, length))
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        model(input_ids=ids, attention_mask=torch.ones_like(ids))
    expected = _common.encoder_flops([length], hidden=48, intermediate=96, layers=3)
    assert counter.get_total_flops() == expected


def test_flops_add_up_over_sequences() -> None:
    one = _common.encoder_flops([7], hidden=8, intermediate=16, layers=2)
    assert _common.encoder_flops([7, 7, 7], hidden=8, intermediate=16, layers=2) == 3 * one
