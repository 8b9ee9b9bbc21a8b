"""FlagEmbedding's class names, with FlagEmbedding 1.4's constructor signatures, over mtebkit's
one engine: a script written for FlagEmbedding runs by changing its import.

* :class:`FlagModel`: the encoder-only embedder (:class:`~mtebkit.models.Embedder`);
* :class:`FlagLLMModel`: decoder-only, last-token pooling, queries as
  ``"Instruct: {}\\nQuery: {}"`` (FlagEmbedding's ``BaseLLMEmbedder`` default);
* :class:`FlagICLModel`: bge-en-icl's in-context protocol (examples before the query, the
  ``"\\n<response>"`` suffix after it, as FlagEmbedding's ``ICLLLMEmbedder`` builds them);
* :class:`FlagReranker`: the cross-encoder (:class:`~mtebkit.models.Reranker`).

Where FlagEmbedding's default would override a model's own settings (pooling, normalisation),
None here means the preset's, else the model folder's own; a value given is applied.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mtebkit.errors import ConfigError
from mtebkit.models._embedder import Embedder
from mtebkit.models._presets import Pooling
from mtebkit.models._reranker import Reranker
from mtebkit.models._texts import validate_texts

__all__ = [
    "ICL_EXAMPLE_FORMAT",
    "ICL_QUERY_FORMAT",
    "LLM_QUERY_FORMAT",
    "FlagICLModel",
    "FlagLLMModel",
    "FlagModel",
    "FlagReranker",
]

LLM_QUERY_FORMAT = "Instruct: {}\nQuery: {}"
ICL_QUERY_FORMAT = "<instruct>{}\n<query>{}"
ICL_EXAMPLE_FORMAT = "<instruct>{}\n<query>{}\n<response>{}"


def _dtype(use_bf16: bool) -> str | None:
    return "bfloat16" if use_bf16 else None  # None: use_fp16 decides (half on CUDA only)


class FlagModel(Embedder):
    """FlagEmbedding's ``FlagModel``: ``encode``, ``encode_queries``, ``encode_corpus``.

    ``passage_max_length`` is the max length of every text but the queries of
    ``encode_queries`` and of mteb's query side (``query_max_length``); ``batch_size`` is texts
    per forward pass; ``truncate_dim`` is not supported (mtebkit's Matryoshka variants are).
    """

    def __init__(
        self,
        model_name_or_path: str | os.PathLike[str],
        normalize_embeddings: bool | None = None,
        use_fp16: bool = True,
        use_bf16: bool = False,
        query_instruction_for_retrieval: str | None = None,
        query_instruction_format: str = "{}{}",
        devices: Sequence[str] | str | None = None,
        pooling_method: Pooling | None = None,
        trust_remote_code: bool = False,
        cache_dir: str | None = None,
        batch_size: int = 256,
        query_max_length: int | None = None,
        passage_max_length: int | None = None,
        convert_to_numpy: bool = True,
        truncate_dim: int | None = None,
        **kwargs: Any,
    ) -> None:
        if truncate_dim is not None:
            raise ConfigError("truncate_dim is not supported; use a Matryoshka vector variant")
        if not convert_to_numpy:
            raise ConfigError("convert_to_numpy=False is not supported: mtebkit returns numpy")
        del trust_remote_code, cache_dir  # local files only, nothing downloaded
        super().__init__(
            model_name_or_path,
            normalize=normalize_embeddings,
            use_fp16=use_fp16,
            dtype=kwargs.pop("dtype", _dtype(use_bf16)),
            query_instruction=query_instruction_for_retrieval,
            query_template=query_instruction_format.replace("\\n", "\n"),
            devices=devices,
            pooling=pooling_method,
            batch_size=batch_size,
            query_max_length=query_max_length,
            max_length=passage_max_length,
            **kwargs,
        )

    def encode_queries(
        self,
        queries: str | Sequence[str],
        *,
        batch_size: int | None = None,
        max_length: int | None = None,
    ) -> np.ndarray:
        return super().encode_queries(
            queries, batch_size=batch_size, max_length=max_length or self.query_max_length
        )


class FlagLLMModel(FlagModel):
    """FlagEmbedding's ``FlagLLMModel``: a decoder-only embedder, last-token pooled (any other
    ``pooling_method`` is refused, as FlagEmbedding refuses it)."""

    def __init__(
        self,
        model_name_or_path: str | os.PathLike[str],
        normalize_embeddings: bool | None = None,
        use_fp16: bool = True,
        use_bf16: bool = False,
        query_instruction_for_retrieval: str | None = None,
        query_instruction_format: str = LLM_QUERY_FORMAT,
        devices: Sequence[str] | str | None = None,
        trust_remote_code: bool = False,
        cache_dir: str | None = None,
        batch_size: int = 256,
        query_max_length: int | None = None,
        passage_max_length: int | None = None,
        convert_to_numpy: bool = True,
        truncate_dim: int | None = None,
        **kwargs: Any,
    ) -> None:
        pooling = kwargs.pop("pooling_method", "last_token")
        if pooling != "last_token":
            raise ConfigError(
                f"pooling_method must be 'last_token' for LLM embedders, not {pooling!r}"
            )
        super().__init__(
            model_name_or_path,
            normalize_embeddings=normalize_embeddings,
            use_fp16=use_fp16,
            use_bf16=use_bf16,
            query_instruction_for_retrieval=query_instruction_for_retrieval,
            query_instruction_format=query_instruction_format,
            devices=devices,
            pooling_method="last_token",
            trust_remote_code=trust_remote_code,
            cache_dir=cache_dir,
            batch_size=batch_size,
            query_max_length=query_max_length,
            passage_max_length=passage_max_length,
            convert_to_numpy=convert_to_numpy,
            truncate_dim=truncate_dim,
            **kwargs,
        )


class FlagICLModel(FlagLLMModel):
    """FlagEmbedding's ``FlagICLModel`` (bge-en-icl): each query becomes
    ``prefix + format(instruction, query) + suffix``, where the prefix is the examples
    (``examples_instruction_format.format(instruct, query, response)``, joined by blank
    lines) and the query part is cut to ``max_length`` less the suffix's tokens first, as
    FlagEmbedding's ``encode_queries_single_device`` does. Documents are encoded plainly."""

    def __init__(
        self,
        model_name_or_path: str | os.PathLike[str],
        normalize_embeddings: bool | None = None,
        use_fp16: bool = True,
        use_bf16: bool = False,
        query_instruction_for_retrieval: str | None = None,
        query_instruction_format: str = ICL_QUERY_FORMAT,
        suffix: str = "\n<response>",
        devices: Sequence[str] | str | None = None,
        examples_for_task: Sequence[Mapping[str, str]] | None = None,
        examples_instruction_format: str = ICL_EXAMPLE_FORMAT,
        trust_remote_code: bool = False,
        cache_dir: str | None = None,
        batch_size: int = 256,
        query_max_length: int | None = None,
        passage_max_length: int | None = None,
        convert_to_numpy: bool = True,
        truncate_dim: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            model_name_or_path,
            normalize_embeddings=normalize_embeddings,
            use_fp16=use_fp16,
            use_bf16=use_bf16,
            query_instruction_for_retrieval=query_instruction_for_retrieval,
            query_instruction_format=query_instruction_format,
            devices=devices,
            trust_remote_code=trust_remote_code,
            cache_dir=cache_dir,
            batch_size=batch_size,
            query_max_length=query_max_length,
            passage_max_length=passage_max_length,
            convert_to_numpy=convert_to_numpy,
            truncate_dim=truncate_dim,
            **kwargs,
        )
        self.suffix = suffix
        self.examples_instruction_format = examples_instruction_format.replace("\\n", "\n")
        self.examples_for_task = list(examples_for_task) if examples_for_task else None
        self.set_examples()

    def set_examples(self, examples_for_task: Sequence[Mapping[str, str]] | None = None) -> None:
        """The examples put before every query (None: those given to the constructor)."""
        examples = examples_for_task if examples_for_task is not None else self.examples_for_task
        if not examples:
            self.prefix = ""
            return
        shown = [
            self.examples_instruction_format.format(
                e.get("instruct", self.query_instruction),
                e.get("query", ""),
                e.get("response", ""),
            )
            for e in examples
        ]
        self.prefix = "\n\n".join(shown) + "\n\n"

    def icl_queries(self, queries: Sequence[str], max_length: int) -> tuple[list[str], int]:
        """(the texts FlagEmbedding encodes for these queries, the max length it encodes them at)."""
        tok = self.engine.tokenizer
        instr = self.query_instruction if self.use_instructions else None
        texts = self.policy.apply(instr, list(queries))

        def n(text: str) -> int:
            return len(tok(text, add_special_tokens=False)["input_ids"])

        room = max_length - n("<s>") - n(f"{self.suffix}</s>")
        if room < 1:
            raise ConfigError(f"query max_length {max_length} leaves no room beside the suffix")
        cut = tok(texts, truncation=True, max_length=room, add_special_tokens=False)["input_ids"]
        bodies = tok.batch_decode(cut)
        longest = (n(self.prefix) + n(self.suffix) + max_length + 8) // 8 * 8 + 8
        return [self.prefix + b + self.suffix for b in bodies], longest

    def encode_queries(
        self,
        queries: str | Sequence[str],
        *,
        batch_size: int | None = None,
        max_length: int | None = None,
    ) -> np.ndarray:
        qs = validate_texts(
            [queries] if isinstance(queries, str) else queries, allow_empty=False, what="queries"
        )
        texts, longest = self.icl_queries(qs, int(max_length or self.query_max_length or 512))
        return self._encode_texts(texts, batch_size=batch_size, max_length=longest, kind="query")


class FlagReranker(Reranker):
    """FlagEmbedding's ``FlagReranker`` (``compute_score(pairs, normalize=...)``); the
    instruction options of 1.4 are accepted when unset. ``max_length`` None: the preset's,
    else 512 within what the model's positions allow."""

    def __init__(
        self,
        model_name_or_path: str | os.PathLike[str],
        use_fp16: bool = False,
        query_instruction_for_rerank: str | None = None,
        query_instruction_format: str = "{}{}",
        passage_instruction_for_rerank: str | None = None,
        passage_instruction_format: str = "{}{}",
        trust_remote_code: bool = False,
        cache_dir: str | None = None,
        devices: Sequence[str] | str | None = None,
        batch_size: int = 128,
        query_max_length: int | None = None,
        max_length: int | None = None,
        normalize: bool = False,
        **kwargs: Any,
    ) -> None:
        if query_instruction_for_rerank or passage_instruction_for_rerank:
            raise ConfigError("reranker instructions are not supported yet")
        del query_instruction_format, passage_instruction_format, trust_remote_code, cache_dir
        del query_max_length  # the pair is cut at max_length as a whole
        super().__init__(
            model_name_or_path,
            use_fp16=use_fp16,
            max_length=max_length,
            batch_size=batch_size,
            devices=devices,
            normalize=normalize,
            **kwargs,
        )
