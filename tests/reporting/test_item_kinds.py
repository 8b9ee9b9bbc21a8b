"""The one registry of per-item kinds: every kind declares what the upper layers dispatch on."""

from __future__ import annotations

import numpy as np
import pytest

from mtebkit.errors import ResultsError
from mtebkit.reporting._stats import (
    STATISTICS,
    has_statistic,
    mean_statistic,
    shared_scale,
    statistic_for,
)
from mtebkit.results import ITEM_KINDS, item_kind, item_kind_for, items_have_ids


@pytest.mark.parametrize("name", sorted(ITEM_KINDS))
def test_every_kind_names_a_statistic_the_reporting_layer_has(name: str) -> None:
    assert ITEM_KINDS[name].statistic in STATISTICS
    assert has_statistic(name)


def test_each_task_type_has_one_kind() -> None:
    types = [t for k in ITEM_KINDS.values() for t in k.task_types]
    assert len(types) == len(set(types))
    assert item_kind_for("Reranking") is ITEM_KINDS["retrieval"]
    assert item_kind_for("Clustering") is None


def test_dispatch_follows_the_declaration() -> None:
    assert statistic_for("summarization", "cosine_spearman") is mean_statistic
    assert items_have_ids("retrieval") and not items_have_ids("sts")
    assert ITEM_KINDS["pair_classification"].plot_binary and not ITEM_KINDS["sts"].plot_binary
    x = np.array([[0.3], [0.1], [0.9]])
    assert np.allclose(shared_scale("sts", x, "spearman"), [[2 / 3], [1 / 3], [1.0]])
    assert shared_scale("retrieval", x, "ndcg_at_10") is x  # one scale already


def test_an_unknown_kind_is_refused_by_name() -> None:
    assert not has_statistic("clustering")
    with pytest.raises(ResultsError, match="no per-item form"):
        statistic_for("clustering", "v_measure")
    with pytest.raises(ResultsError, match="unknown item kind 'clustering'"):
        item_kind("clustering")
