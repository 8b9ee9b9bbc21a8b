"""mteb's side of the Embedder: ``EncoderProtocol`` (encode a DataLoader, similarity, meta).

mteb calls ``encode(DataLoader, *, task_metadata, hf_split, hf_subset, prompt_type)``,
``similarity``, ``similarity_pairwise`` and reads ``mteb_model_meta``. The adapter flattens the
loader's text batches, prepends the task's query instruction (queries only, by the
:class:`~mtebkit.models._instructions.InstructionPolicy`), and hands the texts to the encoding
core. Real corpora hold the odd empty document; mteb's own runner encodes it, so the adapter
does too (as the special tokens only), with a warning that counts them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mtebkit.errors import MtebkitError
from mtebkit.models._encoding_stats import prompt_kind
from mtebkit.models._instructions import InstructionPolicy
from mtebkit.models._presets import ModelPreset
from mtebkit.models._resolve import ResolvedModel
from mtebkit.models._texts import validate_texts
from mtebkit.models._variants import (
    VectorVariant,
    hamming_similarity,
    pairwise_hamming_similarity,
)

if TYPE_CHECKING:
    from mteb.abstasks.task_metadata import TaskMetadata
    from mteb.models.model_meta import ModelMeta

__all__ = ["MtebEncoderMixin", "prompt_value"]


def prompt_value(prompt_type: Any) -> str | None:
    """``"query"`` / ``"document"`` from mteb's ``PromptType`` (or a plain string), else None."""
    if prompt_type is None:
        return None
    return str(getattr(prompt_type, "value", prompt_type))


class MtebEncoderMixin:
    """mteb's ``EncoderProtocol`` for a class that encodes texts with ``_encode_texts``."""

    resolved: ResolvedModel
    preset: ModelPreset | None
    embed_dim: int | None
    max_length: int
    query_max_length: int | None
    experiment_kwargs: dict[str, Any]
    vectors: VectorVariant
    _n_parameters: int
    _meta: ModelMeta | None

    @property
    def policy(self) -> InstructionPolicy:  # provided by the facade
        raise NotImplementedError

    def _encode_texts(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        max_length: int | None = None,
        show_progress_bar: bool | None = None,
        kind: str = "text",
    ) -> np.ndarray:
        raise NotImplementedError

    def _encode_mteb(
        self,
        inputs: Iterable[Mapping[str, Any]],
        *,
        task_metadata: TaskMetadata | None,
        prompt_type: Any,
        batch_size: int | None,
        show_progress_bar: bool | None,
    ) -> np.ndarray:
        texts: list[str] = []
        for batch in inputs:
            if "text" not in batch:
                raise MtebkitError(
                    f"mtebkit.Embedder encodes text only; got a batch with {sorted(batch)}"
                )
            texts.extend(batch["text"])
        instr = None
        side = prompt_value(prompt_type)
        # bge: the queries only; mteb's instructions: every text but documents
        if task_metadata is not None and (
            side == "query" or (self.policy.from_mteb and side != "document")
        ):
            instr = self.policy.for_task(task_metadata.name, task_metadata.type)
        if instr:
            texts = self.policy.apply(instr, texts)
        valid = validate_texts(
            texts, allow_empty=True, what=f"{getattr(task_metadata, 'name', 'task')} texts"
        )
        is_query = task_metadata is not None and prompt_value(prompt_type) == "query"
        return self._encode_texts(
            valid,
            batch_size=batch_size,
            max_length=self.query_max_length if is_query else None,
            show_progress_bar=show_progress_bar,
            kind=prompt_kind(prompt_value(prompt_type)),
        )

    @property
    def _similarity_kind(self) -> str:
        return "dot" if (self.preset and self.preset.similarity == "dot") else "cosine"

    def similarity(self, embeddings1: Any, embeddings2: Any) -> Any:
        """mteb's cosine (or, for a dot-product preset, dot) similarity matrix; for binary
        vectors the share of equal bits (Hamming, as sentence-transformers searches them)."""
        from mteb.similarity_functions import cos_sim, dot_score

        if self.vectors.binary:
            return hamming_similarity(embeddings1, embeddings2)
        fn = dot_score if self._similarity_kind == "dot" else cos_sim
        return fn(embeddings1, embeddings2)

    def similarity_pairwise(self, embeddings1: Any, embeddings2: Any) -> Any:
        """mteb's row-wise cosine (or dot) similarity (Hamming for binary vectors)."""
        from mteb.similarity_functions import pairwise_cos_sim, pairwise_dot_score

        if self.vectors.binary:
            return pairwise_hamming_similarity(embeddings1, embeddings2)
        fn = pairwise_dot_score if self._similarity_kind == "dot" else pairwise_cos_sim
        return fn(embeddings1, embeddings2)

    @property
    def mteb_model_meta(self) -> ModelMeta:
        """A ModelMeta with a unique name and revision (never mteb's ``no_model_name``)."""
        if self._meta is None:
            self._meta = self._build_meta()
        return self._meta

    def _build_meta(self) -> ModelMeta:
        import mteb
        from mteb.models.model_meta import ModelMeta, ScoringFunction

        base: ModelMeta | None = None
        if self.resolved.preset is not None:
            try:
                base = mteb.get_model_meta(self.resolved.name)
            except KeyError:  # not in mteb's registry: built from scratch below
                base = None
        fields: dict[str, Any] = {
            "name": self.resolved.name,
            "revision": self.resolved.revision,
            "embed_dim": self.embed_dim,
            "max_tokens": self.max_length,
            "n_parameters": self._n_parameters,
            "similarity_fn_name": ScoringFunction.CUSTOM  # Hamming: no mteb name for it
            if self.vectors.binary
            else ScoringFunction.DOT_PRODUCT
            if self._similarity_kind == "dot"
            else ScoringFunction.COSINE,
            "use_instructions": bool(self.policy.query_instruction) and self.policy.enabled,
            "experiment_kwargs": dict(self.experiment_kwargs) or None,
        }
        if not self.vectors.is_full:  # as mteb's CompressionWrapper records a precision
            from mteb.types import OutputDType

            fields["output_dtypes"] = [OutputDType(self.vectors.precision)]
        if base is not None:
            return base.model_copy(update={**fields, "loader": None})
        return ModelMeta.create_empty(
            overwrites={
                **fields,
                "framework": ["PyTorch"],
                "languages": list(self.preset.languages)
                if self.preset and self.preset.languages
                else None,
                "open_weights": True,
            }
        )
