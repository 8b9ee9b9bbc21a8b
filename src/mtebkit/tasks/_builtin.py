"""C-MTEB tasks that mteb 2.x lacks, shipped with mtebkit.

``T2RerankingZh2En`` / ``T2RerankingEn2Zh`` are FlagEmbedding's cross-lingual variants of
T2Reranking (``C_MTEB/tasks/Reranking.py``): Chinese queries with English passages and the
reverse. The hub repos hold C-MTEB reranking rows (``query``, ``positive[]``, ``negative[]``;
one ``dev`` split under ``data/dev-*``), converted here as mteb 2 converts old-format reranking
data; split and main score follow mteb's own ``T2Reranking`` (``dev``, ``map_at_1000``).

FlagEmbedding pins no revision for these repos, so the revision is the ``main`` branch (head
commits at the time of writing: zh2en ``d78ad11``, en2zh ``ff2dbe3``). With ``--data-dir`` the
mirror folder is used as is.

They carry no ``query_instruction`` of their own: like mteb's ``T2Reranking`` the model preset
decides whether queries get an instruction.
"""

from __future__ import annotations

from mteb.abstasks.task_metadata import TaskMetadata

from mtebkit.tasks._custom import HubRowsRerankingTask

__all__ = ["BUILTIN_TASKS", "T2RerankingEn2Zh", "T2RerankingZh2En"]

_T2_CITATION = r"""
@misc{xie2023t2ranking,
  archiveprefix = {arXiv},
  author = {Xiaohui Xie and Qian Dong and Bingning Wang and Feiyang Lv and Ting Yao and Weinan Gan and Zhijing Wu and Xiangsheng Li and Haitao Li and Yiqun Liu and Jin Ma},
  eprint = {2304.03679},
  primaryclass = {cs.IR},
  title = {T2Ranking: A large-scale Chinese Benchmark for Passage Ranking},
  year = {2023},
}
"""


def _t2_metadata(name: str, path: str, direction: str) -> TaskMetadata:
    return TaskMetadata(
        name=name,
        description=f"T2Ranking passage reranking, {direction} (C-MTEB cross-lingual variant)",
        reference="https://arxiv.org/abs/2304.03679",
        dataset={"path": path, "revision": "main"},
        type="Reranking",
        category="t2t",
        modalities=["text"],
        eval_splits=["dev"],
        eval_langs=["cmn-Hans", "eng-Latn"],
        main_score="map_at_1000",
        date=("2022-01-01", "2023-12-31"),
        domains=["Web", "Written"],
        task_subtypes=["Question answering"],
        license="not specified",
        annotations_creators="human-annotated",
        dialect=[],
        sample_creation="machine-translated",
        bibtex_citation=_T2_CITATION,
    )


class T2RerankingZh2En(HubRowsRerankingTask):
    metadata = _t2_metadata(
        "T2RerankingZh2En", "C-MTEB/T2Reranking_zh2en", "Chinese queries, English passages"
    )


class T2RerankingEn2Zh(HubRowsRerankingTask):
    metadata = _t2_metadata(
        "T2RerankingEn2Zh", "C-MTEB/T2Reranking_en2zh", "English queries, Chinese passages"
    )


BUILTIN_TASKS: tuple[type[HubRowsRerankingTask], ...] = (T2RerankingZh2En, T2RerankingEn2Zh)
