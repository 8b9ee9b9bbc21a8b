"""Where results live: mteb's ``ResultCache`` layout under a results folder.

::

    <results>/<org__model>/<revision>/model_meta.json
    <results>/<org__model>/<revision>/<Task>.json
    <results>/<org__model>/<revision>/<Task>.items.json.gz                  (per-item scores)
    <results>/<org__model>/<revision>/experiments/<experiment>/<Task>.json  (non-default settings)

mteb's ``ResultCache(cache_path=P)`` reads ``P/results/...``; mtebkit's ``--results DIR`` is that
``results`` folder itself, so ``ResultCache(cache_path=DIR.parent)`` reads what mtebkit wrote
when ``DIR`` is named ``results`` (the default). Paths are computed by ``ResultCache`` itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mtebkit._util.paths import _inside, name_in, safe_name

if TYPE_CHECKING:
    from mteb.models.model_meta import ModelMeta

__all__ = [
    "DEFAULT_EXPERIMENT",
    "EXPERIMENTS_DIR",
    "ITEM_SCORES_SUFFIX",
    "item_scores_for",
    "item_scores_path",
    "name_in",
    "result_path",
    "safe_name",
]

EXPERIMENTS_DIR = "experiments"  # mteb's own name for this folder
DEFAULT_EXPERIMENT = "default"  # how the CLI names "no experiment" (the plain revision folder)
ITEM_SCORES_SUFFIX = ".items.json.gz"
_MTEB_RESULTS = "results"  # the folder ResultCache keeps under its cache path


def result_path(
    results_dir: Path, meta: ModelMeta, task_name: str, *, source: Path | str | None = None
) -> Path:
    """Where ``ResultCache`` files ``meta``'s result for ``task_name``, under ``results_dir``.

    Every name is checked with :func:`safe_name` first: a revision ``../x`` or a task ``a/b``
    would otherwise put the file outside ``results_dir``. ``source`` says where the names came
    from, for the error."""
    from mteb import ResultCache

    safe_name(str(task_name), kind="task", source=source)
    safe_name(str(meta.name), kind="model", source=source)
    safe_name(str(meta.revision), kind="revision", source=source)
    if meta.experiment_name is not None:
        safe_name(meta.experiment_name, kind="experiment", source=source)
    results_dir = Path(results_dir)
    cache = ResultCache(cache_path=results_dir.parent)
    path = Path(cache.get_task_result_path(task_name, meta))
    return _inside(results_dir, results_dir / path.relative_to(cache.cache_path / _MTEB_RESULTS))


def item_scores_path(out_dir: Path, task_name: str, *, source: Path | str | None = None) -> Path:
    """``<out_dir>/<Task>.items.json.gz``: where the item scores of ``task_name`` live."""
    return name_in(out_dir, task_name, kind="task", suffix=ITEM_SCORES_SUFFIX, source=source)


def item_scores_for(result_file: Path) -> Path | None:
    """The item-scores file beside a ``<Task>.json`` result, if it exists."""
    p = result_file.with_name(result_file.name.removesuffix(".json") + ITEM_SCORES_SUFFIX)
    return p if p.is_file() else None
