"""How faithful a mirrored task's data is to the data mteb describes (its stored statistics).

mteb ships the statistics of every split it evaluates (``task.metadata.descriptive_stats``).
For each evaluation split and subset of a loaded task, cheap fields are compared with them:

- counts: ``num_samples`` (rows), or for retrieval ``num_documents`` and ``num_queries``;
- characters: each ``<field>_statistics.total_text_length`` the stats hold, against the same
  sum over the loaded column (STS and pair classification: ``text1``, ``text2``;
  summarization: ``text``, ``human_summaries``, ``machine_summaries``; classification:
  ``text``; retrieval: ``queries_text`` and ``documents_text``, a document being mteb's
  ``(title + " " + text).strip()``). Each field separately, so errors cannot cancel.

Rule: ``exact`` when every compared field is equal; ``near`` when the counts are equal and the
characters of every field are within 0.05% (``|Δ| <= 5e-4 × stored``: the Moses-tokenised
STS12-16 copies are 1-20 characters short per field, at most 0.015%); ``approximate`` when a
count differs or a field's characters are further off (SummEval's texts: 0.1-0.4%);
``unknown`` when there is nothing to compare (no stored stats, or no field in common). A task's
fidelity is that of its worst split/subset.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from mteb.abstasks.abstask import AbsTask

__all__ = [
    "NEAR_CHARACTERS",
    "MirrorFidelity",
    "compare_fields",
    "mirror_fidelity",
    "mirror_fidelity_of",
    "stored_fields",
]

Level = Literal["exact", "near", "approximate", "unknown"]
NEAR_CHARACTERS = 5e-4  # relative: 0.05% per text field
_RANK: dict[str, int] = {"unknown": 0, "exact": 1, "near": 2, "approximate": 3}
_COUNTS = ("rows", "documents", "queries")


@dataclass(frozen=True)
class MirrorFidelity:
    level: Level
    reason: str  # one line, e.g. "51,524 of 51,534 rows (test)"


def _worst(items: Iterable[MirrorFidelity]) -> MirrorFidelity:
    found = list(items)
    if not found:
        return MirrorFidelity("unknown", "no stored statistics to compare with")
    worst = max(_RANK[f.level] for f in found)
    worse = [f for f in found if _RANK[f.level] == worst]
    more = f" (+{len(worse) - 1} more)" if len(worse) > 1 and worst == _RANK["exact"] else ""
    reason = worse[0].reason + more if more else "; ".join(f.reason for f in worse)
    return MirrorFidelity(worse[0].level, reason)


def stored_fields(entry: Mapping[str, Any]) -> dict[str, int]:
    """The comparable fields of one stored ``descriptive_stats`` entry (a split or a subset)."""
    out: dict[str, int] = {}
    if isinstance(entry.get("num_documents"), int):
        out["documents"] = entry["num_documents"]
        if isinstance(entry.get("num_queries"), int):
            out["queries"] = entry["num_queries"]
    elif isinstance(entry.get("num_samples"), int):
        out["rows"] = entry["num_samples"]
    for k, v in entry.items():
        if k.endswith("_statistics") and isinstance(v, dict):
            n = v.get("total_text_length")
            if isinstance(n, int):
                out[k.removesuffix("_statistics")] = n
    return out


def compare_fields(
    stored: Mapping[str, Any], loaded: Mapping[str, int], where: str = ""
) -> MirrorFidelity:
    """Classify one split/subset: ``stored`` is a ``descriptive_stats`` entry, ``loaded`` the
    same fields counted on the data (``rows`` or ``documents``/``queries``, ``characters``)."""
    at = f" ({where})" if where else ""
    want = stored_fields(stored)
    common = [k for k in want if k in loaded]
    if not common:
        return MirrorFidelity("unknown", f"no stored field to compare{at}")
    for k in _COUNTS:
        if k in common and loaded[k] != want[k]:
            return MirrorFidelity("approximate", f"{loaded[k]:,} of {want[k]:,} {k}{at}")
    texts = [k for k in common if k not in _COUNTS]
    off = [(k, loaded[k] - want[k]) for k in texts if loaded[k] != want[k]]
    if not off:
        return MirrorFidelity("exact", f"{', '.join(common)} equal to mteb's statistics{at}")

    def rel(k: str, d: int) -> float:
        return abs(d) / want[k] if want[k] else float("inf")

    k, d = max(off, key=lambda kd: rel(*kd))
    text = f"{k} characters {d:+,} of {want[k]:,} ({100 * d / max(want[k], 1):+.2g}%){at}"
    return MirrorFidelity("near" if rel(k, d) <= NEAR_CHARACTERS else "approximate", text)


def _chars(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, (list, tuple)):
        return sum(_chars(v) for v in value)
    return 0


def _text_columns(task: AbsTask) -> dict[str, str]:
    """Stats field (``text1`` for ``text1_statistics``) -> the column it counts, by task type."""
    from mteb.abstasks.classification import AbsTaskClassification
    from mteb.abstasks.pair_classification import AbsTaskPairClassification
    from mteb.abstasks.sts import AbsTaskSTS
    from mteb.abstasks.text.summarization import AbsTaskSummarization

    cols: dict[str, object] = {}
    if isinstance(task, AbsTaskSTS):
        cols = {"text1": task.column_names[0], "text2": task.column_names[1]}
    elif isinstance(task, AbsTaskPairClassification):
        cols = {"text1": task.input1_column_name, "text2": task.input2_column_name}
    elif isinstance(task, AbsTaskSummarization):
        cols = {
            "text": task.text_column_name,
            "human_summaries": task.human_summaries_column_name,
            "machine_summaries": task.machine_summaries_column_name,
        }
    elif isinstance(task, AbsTaskClassification):
        cols = {"text": task.input_column_name}
    # a multimodal task names several columns per input: not compared
    return {k: v for k, v in cols.items() if isinstance(v, str)}


def _loaded_fields(task: AbsTask, data: Any) -> dict[str, int]:
    if isinstance(data, Mapping) and "corpus" in data and "queries" in data:  # retrieval
        corpus, queries = data["corpus"], data["queries"]
        titles = corpus["title"] if "title" in corpus.column_names else [""] * len(corpus)
        # a document as mteb reads it: (title + " " + text).strip()
        docs = sum(
            len(f"{t} {x}".strip() if t else x.strip())
            for t, x in zip(titles, corpus["text"], strict=True)
        )
        return {
            "documents": len(corpus),
            "queries": len(queries),
            "documents_text": docs,
            "queries_text": sum(_chars(q) for q in queries["text"]),
        }
    out = {"rows": len(data)}
    names = getattr(data, "column_names", None) or []
    for field, column in _text_columns(task).items():
        if column in names:
            out[field] = sum(_chars(v) for v in data[column])
    return out


def mirror_fidelity(task: AbsTask) -> MirrorFidelity:
    """The fidelity of a loaded task (``task.load_data()`` done) to mteb's stored statistics;
    see the module docstring for the rule. Reads the data only (no encoding)."""
    stats: Mapping[str, Any] = task.metadata.descriptive_stats or {}
    dataset: Any = task.dataset
    if not stats or dataset is None:
        return MirrorFidelity("unknown", "no stored statistics to compare with")
    multilingual = task.metadata.is_multilingual
    subsets = list(task.hf_subsets) if multilingual else ["default"]
    found: list[MirrorFidelity] = []
    for split in task.eval_splits:
        entry = stats.get(split)
        if not isinstance(entry, Mapping):
            continue
        for sub in subsets:
            stored: Any = entry
            if multilingual:
                stored = (entry.get("hf_subset_descriptive_stats") or {}).get(sub)
                if not isinstance(stored, Mapping):
                    continue
            data = dataset
            if multilingual or (split not in dataset and sub in dataset):  # retrieval nests subsets
                data = dataset[sub]
            if split not in data:
                found.append(MirrorFidelity("approximate", f"split {split} missing"))
                continue
            where = split if sub == "default" else f"{split}/{sub}"
            found.append(compare_fields(stored, _loaded_fields(task, data[split]), where))
    return _worst(found)


def mirror_fidelity_of(names: Iterable[str], data_dir: Path) -> dict[str, MirrorFidelity]:
    """Load each named task from the mirror under ``data_dir`` and classify it; a task that
    cannot be loaded (not in mteb, no folder, bad data) is ``unknown`` with the error as reason."""
    from mtebkit.errors import MtebkitError
    from mtebkit.tasks._catalog import get_tasks

    out: dict[str, MirrorFidelity] = {}
    for name in dict.fromkeys(names):
        try:
            (task,) = get_tasks([name], data_dir=data_dir)
            task.load_data()
            out[name] = mirror_fidelity(task)
        except (MtebkitError, OSError, ValueError, KeyError) as exc:
            out[name] = MirrorFidelity("unknown", f"not checked: {exc}".splitlines()[0])
    return out
