"""Row-level checks of a classification task loaded from a mirror, before anything is encoded.

mteb's classification undersamples the train split by row position with a seeded shuffle
(``samples_per_label`` rows of each label, ``n_experiments`` times), so a train split with rows
missing silently trains on other examples and gives another score. mteb stores the row count of
every split it knows (``task.metadata.descriptive_stats``); a mirrored train split must have
exactly that many rows. Labels must be whole numbers or strings of one type across the train and
evaluation splits (a float, a boolean, a missing label or a mix would make other classes).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtebkit.errors import DataError

if TYPE_CHECKING:
    from mteb.abstasks.abstask import AbsTask

__all__ = ["check_classification_rows", "label_problem"]


def label_problem(labels: Sequence[Any], expected: type | None = None) -> tuple[int, str] | None:
    """The first bad label as ``(row index, reason)``, or None.

    A label is bad when it is not an ``int`` or ``str`` (booleans, floats and None are bad), or
    not of ``expected`` (the type of the other labels; default: the first label's).
    """
    for i, v in enumerate(labels):
        if isinstance(v, bool) or not isinstance(v, (int, str)):
            return i, f"label {v!r} is a {type(v).__name__}, not a whole number or a string"
        if expected is None:
            expected = type(v)
        elif not isinstance(v, expected):
            return i, (
                f"label {v!r} is a {type(v).__name__}; the labels before it are "
                f"{expected.__name__}s (each type makes other classes)"
            )
    return None


def _stored_rows(task: AbsTask, split: str, subset: str) -> int | None:
    stats = task.metadata.descriptive_stats or {}
    entry: Any = stats.get(split)
    if not isinstance(entry, dict):
        return None
    per_subset = entry.get("hf_subset_descriptive_stats")
    if task.metadata.is_multilingual and isinstance(per_subset, dict):
        entry = per_subset.get(subset)
        if not isinstance(entry, dict):
            return None
    n = entry.get("num_samples")
    return int(n) if isinstance(n, int) else None


def _where(files: Sequence[Path] | None, root: Path, split: str) -> str:
    if files and len(files) == 1:
        return str(files[0])
    if files:
        return f"split {split!r} ({', '.join(str(f) for f in files)})"
    return f"split {split!r} of {root}"


def check_classification_rows(task: AbsTask, root: Path, files_of: Any = None) -> None:
    """Raise :class:`DataError` naming the file and row when a loaded classification task's
    train split is not as long as mteb's statistics say, or a label is of the wrong type.

    ``files_of(split, subset)`` names the files of a split (None: the mirror folder is named).
    Other task types are left alone.
    """
    from mteb.abstasks.classification import AbsTaskClassification
    from mteb.abstasks.multilabel_classification import AbsTaskMultilabelClassification

    if not isinstance(task, AbsTaskClassification):
        return
    multilabel = isinstance(task, AbsTaskMultilabelClassification)  # labels are lists there
    name = task.metadata.name
    train_split = task.train_split
    subsets = list(task.hf_subsets) if task.metadata.is_multilingual else ["default"]
    for sub in subsets:
        loaded: Any = task.dataset
        if loaded is None:
            return
        data = loaded[sub] if task.metadata.is_multilingual else loaded
        expected: type | None = None
        for split in [train_split, *[s for s in task.eval_splits if s != train_split]]:
            if split not in data:
                continue
            rows = data[split]
            files = files_of(split, sub) if files_of is not None else None
            where = _where(files, root, split)
            of = f"task {name}" + ("" if sub == "default" else f" [{sub}]")
            if split == train_split:
                stored = _stored_rows(task, split, sub)
                if stored is not None and len(rows) != stored:
                    revision = task.metadata.dataset.get("revision", "?")
                    raise DataError(
                        f"{of}: {where}: the {split} split has {len(rows)} rows (last: row "
                        f"{len(rows)}), mteb's statistics for revision {revision} say {stored}. "
                        "Classification undersamples the train split by row position, so every "
                        "row, in the hub's order, must be there"
                    )
            if multilabel:
                continue
            labels = rows[task.label_column_name]
            bad = label_problem(labels, expected)
            if bad is not None:
                i, reason = bad
                raise DataError(f"{of}: {where}: row {i + 1} ({split} split): {reason}")
            if expected is None and len(labels):
                expected = type(labels[0])
