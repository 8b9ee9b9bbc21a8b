"""The report figures' frame: a row of panels on a figure of its own (no pyplot state), and the
figure as reproducible PNG bytes (no software stamp, legends below the axes kept)."""

from __future__ import annotations

import io
from typing import Any

__all__ = ["panel_row", "png_bytes"]


def panel_row(n: int, *, width: float, height: float, dpi: int) -> tuple[Any, list[Any]]:
    """A figure of ``n`` panels side by side, each ``width`` x ``height`` inches."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * n, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig, list(fig.subplots(1, n, squeeze=False)[0])


def png_bytes(fig: Any, title: str = "") -> bytes:
    """``fig`` (titled ``title``) as PNG; "tight" keeps the legends below the axes inside."""
    if title:
        fig.suptitle(title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()
