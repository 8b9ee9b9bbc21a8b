"""Real mteb task classes built from custom specs (and mtebkit's built-in hub reranking tasks).

* retrieval (BEIR files)   -> ``AbsTaskRetrieval`` with corpus / queries / qrels
* reranking (rows)         -> ``AbsTaskRetrieval`` restricted to ``top_ranked`` candidate lists,
                              which is how mteb 2.x represents reranking
* sts (rows)               -> ``AbsTaskSTS``
* classification (rows)    -> ``AbsTaskClassification`` (train split + eval splits)
* pair-classification      -> ``AbsTaskPairClassification``
* clustering (rows)        -> ``AbsTaskClustering``: mteb 2's bootstrapped k-means class (the
                              "fast" v2 one that mteb's own new clustering tasks use; the
                              legacy class is kept by mteb only for old scores)
* hf                       -> the same classes loading a hub repo (through the data-dir mirror)

Local data is read, hashed and validated when the task is built (``get_tasks``), so bad input
fails before any model runs; ``load_data`` only turns the parsed rows into ``datasets`` objects.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from mteb.abstasks.classification import AbsTaskClassification
from mteb.abstasks.clustering import AbsTaskClustering
from mteb.abstasks.pair_classification import AbsTaskPairClassification
from mteb.abstasks.retrieval import AbsTaskRetrieval
from mteb.abstasks.retrieval_dataset_loaders import RetrievalSplitData
from mteb.abstasks.sts import AbsTaskSTS
from mteb.abstasks.task_metadata import TaskMetadata
from mteb.languages.check_language_code import check_language_code
from pydantic import ValidationError

from mtebkit.errors import DataError, TaskSpecError
from mtebkit.tasks._readers import (
    BeirData as BeirRecords,
)
from mtebkit.tasks._readers import (
    RerankingRow,
    StsRow,
    check_classification,
    read_beir,
    read_classification_rows,
    read_clustering_rows,
    read_pair_rows,
    read_reranking_rows,
    read_sts_rows,
    rows_to_retrieval,
)
from mtebkit.tasks._spec import (
    SPEC_TYPE_NAMES,
    BeirData,
    HubData,
    RowsData,
    TaskSpec,
    verify_hashes,
)

if TYPE_CHECKING:
    from mteb.timing import TimingStack

__all__ = ["HubRowsRerankingTask", "build_spec_task"]

logger = logging.getLogger(__name__)


def _split_data(
    corpus: list[dict[str, str]],
    queries: list[dict[str, str]],
    relevant: dict[str, dict[str, int]],
    top_ranked: dict[str, list[str]] | None,
) -> RetrievalSplitData:
    from datasets import Dataset

    used = [q for q in queries if q["id"] in relevant]  # as mteb's loader: judged queries only
    return RetrievalSplitData(
        corpus=Dataset.from_list(corpus),
        queries=Dataset.from_list(used),
        relevant_docs=relevant,
        top_ranked=top_ranked,
    )


# ---------------------------------------------------------------------------- hub rows reranking


class HubRowsRerankingTask(AbsTaskRetrieval):
    """A hub dataset of C-MTEB reranking rows (``query``, ``positive[]``, ``negative[]``).

    Loaded with ``datasets.load_dataset`` (offline from the mirror when ``--data-dir`` is given)
    and converted to corpus / queries / qrels / top_ranked. As mteb's own conversion of the old
    format does, rows with no positive or no negative are dropped, with a warning counting them.
    """

    _mtebkit_loader: ClassVar[str] = "rows-reranking"

    def load_data(
        self, num_proc: int | None = None, *, timer: TimingStack | None = None, **kwargs: Any
    ) -> None:
        if self.data_loaded:
            return
        from datasets import load_dataset

        ds = self.metadata.dataset
        self.dataset = {"default": {}}
        for split in self.eval_splits:
            try:
                table = load_dataset(
                    ds["path"], ds.get("name"), split=split, revision=ds["revision"]
                )
            except (FileNotFoundError, ValueError) as exc:
                raise DataError(
                    f"task {self.metadata.name}: cannot load {ds['path']}: {exc}"
                ) from None
            missing = {"query", "positive", "negative"} - set(table.column_names)
            if missing:
                raise DataError(
                    f"task {self.metadata.name}: {ds['path']} split {split} lacks column(s) "
                    f"{', '.join(sorted(missing))}"
                )
            rows = [
                RerankingRow(r["query"], tuple(r["positive"] or ()), tuple(r["negative"] or ()))
                for r in table
            ]
            kept = [r for r in rows if r.positive and r.negative]
            if len(kept) < len(rows):
                logger.warning(
                    "%s: dropped %d of %d %s rows with no positive or no negative candidate "
                    "(mteb's convention for reranking rows)",
                    self.metadata.name,
                    len(rows) - len(kept),
                    len(rows),
                    split,
                )
            if not kept:
                raise DataError(f"task {self.metadata.name}: split {split} has no usable row")
            self.dataset["default"][split] = _split_data(*rows_to_retrieval(kept, split))
        self.data_loaded = True


# ---------------------------------------------------------------------------- local spec tasks


class _LocalRetrievalTask(AbsTaskRetrieval):
    _records: ClassVar[BeirRecords]

    def load_data(
        self, num_proc: int | None = None, *, timer: TimingStack | None = None, **kwargs: Any
    ) -> None:
        if self.data_loaded:
            return
        rec = self._records
        self.dataset = {
            "default": {
                split: _split_data(rec.corpus, rec.queries, rec.qrels[split], None)
                for split in self.eval_splits
            }
        }
        self.data_loaded = True


class _LocalRerankingTask(AbsTaskRetrieval):
    _rows: ClassVar[dict[str, list[RerankingRow]]]

    def load_data(
        self, num_proc: int | None = None, *, timer: TimingStack | None = None, **kwargs: Any
    ) -> None:
        if self.data_loaded:
            return
        self.dataset = {
            "default": {
                split: _split_data(*rows_to_retrieval(self._rows[split], split))
                for split in self.eval_splits
            }
        }
        self.data_loaded = True


class _LocalSTSTask(AbsTaskSTS):
    _rows: ClassVar[dict[str, list[StsRow]]]

    def load_data(
        self, num_proc: int | None = None, *, timer: TimingStack | None = None, **kwargs: Any
    ) -> None:
        if self.data_loaded:
            return
        from datasets import Dataset, DatasetDict

        self.dataset = DatasetDict(
            {
                split: Dataset.from_dict(
                    {
                        "sentence1": [r.sentence1 for r in self._rows[split]],
                        "sentence2": [r.sentence2 for r in self._rows[split]],
                        "score": [r.score for r in self._rows[split]],
                    }
                )
                for split in self.eval_splits
            }
        )
        self.data_loaded = True


def _columns(rows_by_split: dict[str, list[Any]], columns: dict[str, str]) -> Any:
    """A ``DatasetDict`` of the parsed rows: column name -> row attribute."""
    from datasets import Dataset, DatasetDict

    return DatasetDict(
        {
            split: Dataset.from_dict(
                {col: [getattr(r, attr) for r in rows] for col, attr in columns.items()}
            )
            for split, rows in rows_by_split.items()
        }
    )


class _RowsDataset:
    """``load_data`` for a task of parsed rows: one ``datasets`` column per row attribute.

    Row order is kept: mteb's seeded classification undersample picks train rows by position.
    """

    _rows: ClassVar[dict[str, list[Any]]]  # split -> rows (classification: train split too)
    _column_map: ClassVar[dict[str, str]]  # mteb's column name -> row attribute
    data_loaded: bool
    dataset: Any

    def load_data(
        self, num_proc: int | None = None, *, timer: TimingStack | None = None, **kwargs: Any
    ) -> None:
        if self.data_loaded:
            return
        self.dataset = _columns(self._rows, self._column_map)
        self.data_loaded = True


class _LocalClassificationTask(_RowsDataset, AbsTaskClassification):
    _column_map: ClassVar[dict[str, str]] = {"text": "text", "label": "label"}


class _LocalPairClassificationTask(_RowsDataset, AbsTaskPairClassification):
    _column_map: ClassVar[dict[str, str]] = {
        "sentence1": "sentence1",
        "sentence2": "sentence2",
        "labels": "label",
    }


class _SpecClusteringTask(AbsTaskClustering):
    """Every document is embedded (mteb's 4% default suits its huge corpora, not a spec's data);
    each experiment draws ``documents_per_experiment`` of them, by default as many as the split has.
    """

    max_fraction_of_documents_to_embed = None
    documents_per_experiment: ClassVar[int | None] = None

    def _evaluate_subset(self, model: Any, data_split: Any, **kwargs: Any) -> Any:
        self.max_documents_per_cluster = self.documents_per_experiment or len(data_split)
        return super()._evaluate_subset(model, data_split, **kwargs)


class _LocalClusteringTask(_RowsDataset, _SpecClusteringTask):
    _column_map: ClassVar[dict[str, str]] = {"sentences": "text", "labels": "label"}


class _HubRetrievalTask(AbsTaskRetrieval):
    pass


class _HubClassificationTask(AbsTaskClassification):
    pass


class _HubPairClassificationTask(AbsTaskPairClassification):
    pass


class _HubClusteringTask(_SpecClusteringTask):
    pass


class _HubSTSTask(AbsTaskSTS):
    pass


def _fingerprint(digests: dict[str, str]) -> str:
    """One revision string for a local dataset: sha256 over its files' (path, sha256) pairs."""
    h = hashlib.sha256()
    for rel, digest in sorted(digests.items()):
        h.update(f"{rel}\0{digest}\n".encode())
    return h.hexdigest()


def _metadata(spec: TaskSpec, spec_path: Path, dataset: dict[str, Any]) -> TaskMetadata:
    try:
        for code in spec.languages:
            check_language_code(code)
        return TaskMetadata(
            name=spec.name,
            description=spec.description,
            reference=spec.reference,
            dataset=dataset,  # type: ignore[arg-type]
            type=SPEC_TYPE_NAMES[spec.type],  # type: ignore[arg-type]
            category="t2t",
            modalities=["text"],
            eval_splits=list(spec.eval_splits),
            eval_langs=list(spec.languages),
            main_score=spec.main_score,
            bibtex_citation="",
        )
    except (ValidationError, ValueError) as exc:
        raise TaskSpecError(f"{spec_path}: rejected by mteb: {exc}") from None


def build_spec_task(spec: TaskSpec, spec_path: Path) -> type:
    """A new mteb task class for ``spec`` (data read and validated now, for local formats)."""
    spec_path = Path(spec_path).resolve()
    attrs: dict[str, Any] = {
        "query_instruction": spec.query_instruction,
        "spec_path": spec_path,
        "__module__": __name__,
        "__doc__": spec.description,
    }
    base: type
    data = spec.data
    if isinstance(data, HubData):
        dataset: dict[str, Any] = {"path": data.path, "revision": data.revision}
        if data.name:
            dataset["name"] = data.name
        if spec.type == "reranking" and (data.layout or "rows") == "rows":
            base = HubRowsRerankingTask
        else:
            base = _HUB_BASES[spec.type]
    else:
        digests = verify_hashes(spec, spec_path)
        dataset = {"path": str(spec_path), "revision": _fingerprint(digests)}
        if spec.type in _LABELLED_READERS:
            assert isinstance(data, RowsData)
            base, attrs["_rows"] = _LABELLED_READERS[spec.type](spec, spec_path.parent, data)
        elif isinstance(data, BeirData):
            base = _LocalRetrievalTask
            attrs["_records"] = read_beir(spec_path.parent / data.dir, spec.eval_splits)
        elif isinstance(data, RowsData) and spec.type == "reranking":
            base = _LocalRerankingTask
            attrs["_rows"] = {
                s: read_reranking_rows(spec_path.parent / data.files[s]) for s in spec.eval_splits
            }
        else:
            assert isinstance(data, RowsData) and spec.min_score is not None
            assert spec.max_score is not None
            base = _LocalSTSTask
            attrs["_rows"] = {
                s: read_sts_rows(spec_path.parent / data.files[s], spec.min_score, spec.max_score)
                for s in spec.eval_splits
            }
    if spec.type == "sts":
        attrs["min_score"] = spec.min_score
        attrs["max_score"] = spec.max_score
    attrs.update(_type_options(spec))
    attrs["metadata"] = _metadata(spec, spec_path, dataset)
    return type(spec.name, (base,), attrs)


def _type_options(spec: TaskSpec) -> dict[str, Any]:
    """Class attributes of mteb's task class that the spec sets (absent: mteb's default)."""
    names = {
        "train_split": "train_split",
        "samples_per_label": "samples_per_label",
        "documents_per_experiment": "documents_per_experiment",
        # mteb calls the number of clustering experiments n_clusters
        "n_experiments": "n_clusters" if spec.type == "clustering" else "n_experiments",
    }
    return {
        attr: getattr(spec, key) for key, attr in names.items() if getattr(spec, key) is not None
    }


_HUB_BASES: dict[str, type] = {
    "retrieval": _HubRetrievalTask,
    "reranking": _HubRetrievalTask,  # layout: retrieval
    "sts": _HubSTSTask,
    "classification": _HubClassificationTask,
    "pair-classification": _HubPairClassificationTask,
    "clustering": _HubClusteringTask,
}


def _classification(spec: TaskSpec, base: Path, data: RowsData) -> tuple[type, dict[str, Any]]:
    read = {
        s: (base / data.files[s], read_classification_rows(base / data.files[s]))
        for s in spec.read_splits
    }
    train = read[spec.train_split_name]
    check_classification(
        train,
        {s: read[s] for s in spec.eval_splits},
        samples_per_label=spec.samples_per_label or AbsTaskClassification.samples_per_label,
        main_score=spec.main_score,
    )
    return _LocalClassificationTask, {s: list(rows) for s, (_, rows) in read.items()}


def _pairs(spec: TaskSpec, base: Path, data: RowsData) -> tuple[type, dict[str, Any]]:
    return _LocalPairClassificationTask, {
        s: read_pair_rows(base / data.files[s]) for s in spec.eval_splits
    }


def _clustering(spec: TaskSpec, base: Path, data: RowsData) -> tuple[type, dict[str, Any]]:
    return _LocalClusteringTask, {
        s: read_clustering_rows(base / data.files[s], spec.documents_per_experiment)
        for s in spec.eval_splits
    }


_LABELLED_READERS = {
    "classification": _classification,
    "pair-classification": _pairs,
    "clustering": _clustering,
}
