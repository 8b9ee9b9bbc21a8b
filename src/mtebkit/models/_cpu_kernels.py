"""Faster float32 linear layers on CPU: oneDNN with pre-packed weights and fused GELU.

torch's CPU ``nn.Linear`` calls the BLAS it was built with (MKL). On AMD CPUs MKL takes its
AVX2 code path even where the core has AVX-512; oneDNN, which torch also ships (it is what
``torch.compile`` uses for linear layers on CPU), does not. Measured on this project's
2-core AMD EPYC (bench/README.md): single-threaded float32 GEMMs of BERT-small shapes run at
about 90 GFLOP/s through ``F.linear`` and 105-112 GFLOP/s through oneDNN with the weight
packed once into oneDNN's blocked layout.

:func:`use_onednn_linears` swaps a model's ``nn.Linear`` modules for :class:`OneDnnLinear`
in place, and folds an exact (erf) GELU that directly follows a linear layer (BERT's
``intermediate``) into that layer as a oneDNN post-op. It checks the kernel against
``F.linear`` first and changes nothing when oneDNN is missing or disagrees. Results differ
from ``F.linear`` only by float32 summation order (~1e-6 relative).
"""

from __future__ import annotations

import functools
import logging
import os
from typing import Any

import torch  # this module is imported lazily, only once a model is loaded

__all__ = ["OneDnnLinear", "onednn_available", "use_onednn_linears"]

logger = logging.getLogger(__name__)

# Set to "0" to keep torch's default CPU kernels (to compare, or on a torch build whose
# oneDNN misbehaves).
ENV_SWITCH = "MTEBKIT_ONEDNN"

# oneDNN picks its packed layout for a typical number of rows; a batch of 32-64 texts gives
# 500-8,000 token rows, and the layout chosen for 2,048 is fast across that range.
_PACK_ROWS_HINT = 2048


def onednn_available() -> bool:
    """Whether oneDNN linear kernels are switched on, exist here and agree with ``F.linear``."""
    if os.environ.get(ENV_SWITCH, "1").strip().lower() in {"0", "false", "no", "off"}:
        return False
    return _self_test()


def _pack(weight: torch.Tensor) -> torch.Tensor:
    """``weight`` (out x in, float32) in oneDNN's blocked layout, packed once."""
    packed: torch.Tensor = torch.ops.mkldnn._reorder_linear_weight(weight, _PACK_ROWS_HINT)
    return packed


@functools.cache  # once per process: the answer depends on the torch build only
def _self_test() -> bool:
    try:
        if not torch.backends.mkldnn.is_available():  # type: ignore[no-untyped-call]
            return False
        g = torch.Generator().manual_seed(0)
        x = torch.randn(37, 64, generator=g)
        w = torch.randn(96, 64, generator=g)
        b = torch.randn(96, generator=g)
        packed = _pack(w)
        ref = torch.nn.functional.linear(x, w, b)
        got = torch.ops.mkldnn._linear_pointwise(x, packed, b, "none", [], "")
        got_gelu = torch.ops.mkldnn._linear_pointwise(x, packed, b, "gelu", [], "none")
        return bool(
            torch.allclose(got, ref, rtol=1e-4, atol=1e-4)
            and torch.allclose(got_gelu, torch.nn.functional.gelu(ref), rtol=1e-4, atol=1e-4)
        )
    except Exception as exc:  # any failure means: keep the default kernels
        logger.debug("oneDNN linear kernels unavailable: %s", exc)
        return False


class OneDnnLinear(torch.nn.Module):
    """``y = act(x @ W.T + b)`` by oneDNN, with ``W`` packed once at construction."""

    def __init__(self, linear: torch.nn.Linear, *, gelu: bool = False) -> None:
        super().__init__()
        self.in_features = linear.in_features
        self.out_features = linear.out_features
        weight = linear.weight.detach().float().contiguous()
        self.packed_weight = _pack(weight)
        self.bias = None if linear.bias is None else linear.bias.detach().float().contiguous()
        self.gelu = gelu
        self._attr, self._algorithm = ("gelu", "none") if gelu else ("none", "")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = torch.ops.mkldnn._linear_pointwise(
            x, self.packed_weight, self.bias, self._attr, [], self._algorithm
        )
        return out

    # oneDNN's packed tensors have no storage: copies and pickles carry the plain weight and
    # pack it again, so copy.deepcopy(model) and multiprocessing keep working
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["packed_weight"] = self.packed_weight.to_dense()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        dense = state.pop("packed_weight")
        super().__setstate__(state)  # type: ignore[no-untyped-call]
        self.packed_weight = _pack(dense)

    def extra_repr(self) -> str:
        fused = ", fused GELU" if self.gelu else ""
        return f"in_features={self.in_features}, out_features={self.out_features}{fused}"


def _is_exact_gelu(module: object) -> bool:
    """transformers' ``GELUActivation`` (erf form) or ``nn.GELU(approximate='none')``."""
    if isinstance(module, torch.nn.GELU):
        return module.approximate == "none"
    return (
        type(module).__name__ == "GELUActivation"
        and getattr(module, "act", None) is torch.nn.functional.gelu
    )


def use_onednn_linears(model: torch.nn.Module) -> int:
    """Swap ``model``'s float32 CPU ``nn.Linear`` layers for oneDNN ones, in place.

    A module holding ``dense`` (a linear layer) and ``intermediate_act_fn`` (an exact GELU),
    as BERT, RoBERTa and XLM-R's ``intermediate`` blocks do, gets the GELU fused into the
    layer and its ``intermediate_act_fn`` replaced by identity. Returns how many linear layers
    were swapped (0: oneDNN unavailable, the model is not float32 on CPU, or nothing to swap).
    """
    if not onednn_available():
        return 0
    first = next(model.parameters(), None)
    if first is None or first.device.type != "cpu" or first.dtype != torch.float32:
        return 0
    model.eval()
    swapped = 0
    for parent in list(model.modules()):
        dense = getattr(parent, "dense", None)
        act = getattr(parent, "intermediate_act_fn", None)
        if isinstance(dense, torch.nn.Linear) and act is not None and _is_exact_gelu(act):
            parent.dense = OneDnnLinear(dense, gelu=True)
            parent.intermediate_act_fn = torch.nn.Identity()
            swapped += 1
        for name, child in list(parent.named_children()):
            if type(child) is torch.nn.Linear and child.weight.dtype == torch.float32:
                setattr(parent, name, OneDnnLinear(child))
                swapped += 1
    logger.debug("oneDNN: %d linear layers swapped", swapped)
    return swapped
