"""FlagEmbedding's ``BGEM3FlagModel`` (bge-m3): dense, lexical (sparse) and multi-vector
(ColBERT) outputs of one forward pass, and their scores, on mtebkit's engine.

bge-m3's formulas (FlagEmbedding 1.4, ``M3Embedder`` and ``EncoderOnlyEmbedderM3Model``), for a
text of tokens ``t_0 = [CLS], t_1 … t_n`` with last hidden states ``h_0 … h_n``:

* dense: ``h_0``, L2-normalised (``normalize_embeddings``);
* lexical weights: ``w_i = relu(sparse_linear(h_i))``; per token id, the largest ``w_i`` of
  its occurrences, leaving out the special tokens (CLS, EOS, PAD, UNK) and zero weights;
* ColBERT vectors: ``colbert_linear(h_1 … h_n)`` (the CLS left out), each row normalised;
* scores of a query ``q`` and a passage ``p``: dense ``q·p``; lexical ``Σ_{t ∈ q∩p} w_q(t)
  w_p(t)``; ColBERT ``(1/|q|) Σ_i max_j q_i·p_j``; and the weighted means ``sparse+dense`` and
  ``colbert+sparse+dense`` with ``weights_for_different_modes`` (dense, sparse, colbert).

Where FlagEmbedding's batched ``compute_score`` lets a padding position of another passage in
the batch (score 0) win a query token's max when every real similarity is negative, the score
here uses the passage's own tokens only (as its ``colbert_score`` does): a pair's score never
depends on the batch it is in.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from mtebkit.errors import ConfigError, UnsupportedModelError
from mtebkit.models._flag import FlagModel
from mtebkit.models._texts import join_doc, validate_texts

__all__ = ["M3_HEAD_FILES", "BGEM3FlagModel", "M3Heads"]

# the two heads bge-m3 ships beside its XLM-RoBERTa weights
M3_HEAD_FILES = ("sparse_linear.pt", "colbert_linear.pt")

M3Output = dict[Literal["dense_vecs", "lexical_weights", "colbert_vecs"], Any]


class M3Heads:
    """bge-m3's ``sparse_linear`` (h → 1) and ``colbert_linear`` (h → d') as float32 arrays,
    read from the model folder; a folder without them is refused (FlagEmbedding would start
    them from random weights, with a log line, and score nonsense)."""

    def __init__(self, folder: Path) -> None:
        import torch

        missing = [n for n in M3_HEAD_FILES if not (folder / n).is_file()]
        if missing:
            raise UnsupportedModelError(
                f"{folder}: no {' / '.join(missing)}: BGEM3FlagModel needs bge-m3's lexical "
                "and multi-vector heads beside the weights (use FlagModel for dense only)"
            )

        def linear(name: str) -> tuple[np.ndarray, np.ndarray]:
            path = folder / name
            try:
                state = torch.load(path, map_location="cpu", weights_only=True)
                return (
                    state["weight"].float().numpy(),
                    state["bias"].float().numpy(),
                )
            except (
                OSError,
                RuntimeError,
                KeyError,
                EOFError,
                AttributeError,
                pickle.UnpicklingError,
            ) as exc:
                raise UnsupportedModelError(
                    f"{path}: not a linear layer's state dict ({type(exc).__name__}: {exc})"
                ) from None

        self.sparse_weight, self.sparse_bias = linear("sparse_linear.pt")
        self.colbert_weight, self.colbert_bias = linear("colbert_linear.pt")
        if self.sparse_weight.shape[0] != 1:
            raise UnsupportedModelError(
                f"{folder / 'sparse_linear.pt'}: maps to {self.sparse_weight.shape[0]} outputs, "
                "not 1 weight per token"
            )

    def check_hidden(self, hidden: int, folder: Path) -> None:
        for name, weight in (
            ("sparse_linear.pt", self.sparse_weight),
            ("colbert_linear.pt", self.colbert_weight),
        ):
            if weight.shape[1] != hidden:
                raise UnsupportedModelError(
                    f"{folder / name}: takes {weight.shape[1]}-dim states, the model gives {hidden}"
                )

    def token_weights(self, states: np.ndarray) -> np.ndarray:
        """``relu(sparse_linear(h_i))`` per token."""
        out: np.ndarray = states @ self.sparse_weight.T + self.sparse_bias
        weights: np.ndarray = np.maximum(out[:, 0], 0.0)
        return weights

    def colbert(self, states: np.ndarray, normalize: bool) -> np.ndarray:
        """``colbert_linear`` of every token but the first (CLS), rows normalised."""
        vecs: np.ndarray = (states[1:] @ self.colbert_weight.T + self.colbert_bias).astype(
            np.float32
        )
        if normalize:
            norms = np.linalg.norm(vecs, axis=1, keepdims=True)
            vecs = vecs / np.maximum(norms, 1e-12)  # torch's F.normalize eps
        return vecs


def lexical_matching_score(lw1: Mapping[str, float], lw2: Mapping[str, float]) -> float:
    """``Σ_{t ∈ lw1 ∩ lw2} lw1[t] · lw2[t]``."""
    return float(sum(w * lw2[t] for t, w in lw1.items() if t in lw2))


def colbert_score(q_reps: np.ndarray, p_reps: np.ndarray) -> float:
    """``(1/|q|) Σ_i max_j q_i · p_j`` over the query's and the passage's vectors."""
    if len(q_reps) == 0 or len(p_reps) == 0:
        return 0.0
    return float((np.asarray(q_reps) @ np.asarray(p_reps).T).max(axis=1).sum() / len(q_reps))


class BGEM3FlagModel(FlagModel):
    """FlagEmbedding's ``BGEM3FlagModel``: ``encode`` / ``encode_queries`` / ``encode_corpus``
    return ``{"dense_vecs", "lexical_weights", "colbert_vecs"}`` (None for an output not
    asked for); ``compute_score`` scores pairs in every mode. ``lexical_weights`` are
    ``{str(token id): weight}`` dicts; ``convert_id_to_token`` shows them as tokens.

    Only the dense output goes through the embedding cache (and mteb runs, where this class
    is a dense embedder); asking for lexical or ColBERT outputs encodes the texts once for
    all three.
    """

    def __init__(
        self,
        model_name_or_path: str | os.PathLike[str],
        normalize_embeddings: bool = True,
        use_fp16: bool = True,
        use_bf16: bool = False,
        query_instruction_for_retrieval: str | None = None,
        query_instruction_format: str = "{}{}",
        devices: Sequence[str] | str | None = None,
        pooling_method: Literal["cls"] = "cls",
        trust_remote_code: bool = False,
        cache_dir: str | None = None,
        colbert_dim: int = -1,
        batch_size: int = 256,
        query_max_length: int | None = None,
        passage_max_length: int | None = None,
        return_dense: bool = True,
        return_sparse: bool = False,
        return_colbert_vecs: bool = False,
        truncate_dim: int | None = None,
        **kwargs: Any,
    ) -> None:
        if pooling_method != "cls":
            raise ConfigError(f"pooling_method must be 'cls' for bge-m3, not {pooling_method!r}")
        super().__init__(
            model_name_or_path,
            normalize_embeddings=normalize_embeddings,
            use_fp16=use_fp16,
            use_bf16=use_bf16,
            query_instruction_for_retrieval=query_instruction_for_retrieval,
            query_instruction_format=query_instruction_format,
            devices=devices,
            pooling_method="cls",
            trust_remote_code=trust_remote_code,
            cache_dir=cache_dir,
            batch_size=batch_size,
            query_max_length=query_max_length,
            passage_max_length=passage_max_length,
            truncate_dim=truncate_dim,
            **kwargs,
        )
        self.heads = M3Heads(self.resolved.path)
        if colbert_dim > 0 and colbert_dim != self.heads.colbert_weight.shape[0]:
            raise ConfigError(
                f"colbert_dim={colbert_dim}, but colbert_linear.pt gives "
                f"{self.heads.colbert_weight.shape[0]}-dim vectors"
            )
        self.return_dense = return_dense
        self.return_sparse = return_sparse
        self.return_colbert_vecs = return_colbert_vecs

    # ------------------------------------------------------------------ encoding
    def encode(  # type: ignore[override]  # FlagEmbedding's M3 contract: a dict of outputs
        self,
        sentences: str | Sequence[str],
        batch_size: int | None = None,
        max_length: int | None = None,
        return_dense: bool | None = None,
        return_sparse: bool | None = None,
        return_colbert_vecs: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        if kwargs.get("task_metadata") is not None or not isinstance(sentences, (str, list, tuple)):
            return super().encode(sentences, batch_size=batch_size, **kwargs)  # mteb: dense
        single = isinstance(sentences, str)
        texts = validate_texts([sentences] if single else list(sentences), allow_empty=False)
        return self._outputs(
            texts,
            single=single,
            batch_size=batch_size,
            max_length=max_length or self.max_length,
            dense=self.return_dense if return_dense is None else return_dense,
            sparse=self.return_sparse if return_sparse is None else return_sparse,
            colbert=self.return_colbert_vecs
            if return_colbert_vecs is None
            else return_colbert_vecs,
        )

    def encode_queries(  # type: ignore[override]
        self,
        queries: str | Sequence[str],
        *,
        batch_size: int | None = None,
        max_length: int | None = None,
        return_dense: bool | None = None,
        return_sparse: bool | None = None,
        return_colbert_vecs: bool | None = None,
    ) -> M3Output:
        single = isinstance(queries, str)
        qs = validate_texts(
            [queries] if isinstance(queries, str) else queries, allow_empty=False, what="queries"
        )
        policy = self.policy
        texts = policy.apply(policy.for_queries(), qs)
        return self.encode(  # type: ignore[no-any-return]
            texts[0] if single else texts,
            batch_size=batch_size,
            max_length=max_length or self.query_max_length,
            return_dense=return_dense,
            return_sparse=return_sparse,
            return_colbert_vecs=return_colbert_vecs,
        )

    def encode_corpus(  # type: ignore[override]
        self,
        corpus: Sequence[str | Mapping[str, Any]],
        *,
        batch_size: int | None = None,
        max_length: int | None = None,
        return_dense: bool | None = None,
        return_sparse: bool | None = None,
        return_colbert_vecs: bool | None = None,
    ) -> M3Output:
        texts = [join_doc(d, i) for i, d in enumerate(corpus)]
        return self.encode(  # type: ignore[no-any-return]
            validate_texts(texts, allow_empty=False, what="corpus"),
            batch_size=batch_size,
            max_length=max_length,
            return_dense=return_dense,
            return_sparse=return_sparse,
            return_colbert_vecs=return_colbert_vecs,
        )

    def _outputs(
        self,
        texts: list[str],
        *,
        single: bool,
        batch_size: int | None,
        max_length: int,
        dense: bool,
        sparse: bool,
        colbert: bool,
    ) -> M3Output:
        if not (dense or sparse or colbert):
            raise ConfigError(
                "choose one or more of return_dense, return_sparse, return_colbert_vecs"
            )
        out: M3Output = {"dense_vecs": None, "lexical_weights": None, "colbert_vecs": None}
        if not (sparse or colbert):  # dense alone: the cached engine path
            vecs = self._encode_texts(texts, batch_size=batch_size, max_length=max_length)
            out["dense_vecs"] = vecs[0] if single else vecs
            return out
        settings = self._settings_for(max_length)
        ids, states = self.engine.token_states(
            texts, settings=settings, batch_size=int(batch_size or self.batch_size)
        )
        if states:
            self.heads.check_hidden(states[0].shape[1], self.resolved.path)
        if dense:
            import torch

            cls = torch.from_numpy(np.stack([s[0] for s in states]).astype(np.float32))
            if self.normalize:  # as the engine normalises: the same vectors as dense alone
                cls = torch.nn.functional.normalize(cls, p=2, dim=-1)
            dense_vecs = cls.numpy()
            out["dense_vecs"] = dense_vecs[0] if single else dense_vecs
        if sparse:
            unused = self._unused_token_ids()
            lexical = [
                _lexical_weights(self.heads.token_weights(s), x, unused)
                for s, x in zip(states, ids, strict=True)
            ]
            out["lexical_weights"] = lexical[0] if single else lexical
        if colbert:
            vecs_list = [self.heads.colbert(s, self.normalize) for s in states]
            out["colbert_vecs"] = vecs_list[0] if single else vecs_list
        return out

    def _unused_token_ids(self) -> set[int]:
        tok = self.engine.tokenizer
        names = ("cls_token", "eos_token", "pad_token", "unk_token")
        return {
            int(tok.convert_tokens_to_ids(tok.special_tokens_map[n]))
            for n in names
            if n in tok.special_tokens_map
        }

    # ------------------------------------------------------------------ scores
    def compute_lexical_matching_score(
        self,
        lexical_weights_1: Mapping[str, float] | Sequence[Mapping[str, float]],
        lexical_weights_2: Mapping[str, float] | Sequence[Mapping[str, float]],
    ) -> float | np.ndarray:
        """One score for two dicts; the ``(len1, len2)`` matrix for two lists."""
        if isinstance(lexical_weights_1, Mapping) and isinstance(lexical_weights_2, Mapping):
            return lexical_matching_score(lexical_weights_1, lexical_weights_2)
        if isinstance(lexical_weights_1, Mapping) or isinstance(lexical_weights_2, Mapping):
            raise ConfigError("lexical weights: give two dicts or two lists of dicts")
        return np.array(
            [[lexical_matching_score(a, b) for b in lexical_weights_2] for a in lexical_weights_1]
        )

    def colbert_score(self, q_reps: np.ndarray, p_reps: np.ndarray) -> float:
        return colbert_score(q_reps, p_reps)

    def convert_id_to_token(
        self, lexical_weights: Mapping[str, float] | Sequence[Mapping[str, float]]
    ) -> dict[str, float] | list[dict[str, float]]:
        tok = self.engine.tokenizer
        if isinstance(lexical_weights, Mapping):
            return {tok.decode([int(i)]): w for i, w in lexical_weights.items()}
        return [{tok.decode([int(i)]): w for i, w in lw.items()} for lw in lexical_weights]

    def compute_score(
        self,
        sentence_pairs: Sequence[tuple[str, str]] | tuple[str, str],
        batch_size: int | None = None,
        max_query_length: int | None = None,
        max_passage_length: int | None = None,
        weights_for_different_modes: Sequence[float] | None = None,
        **kwargs: Any,
    ) -> dict[str, list[float]] | dict[str, float]:
        """Scores of (query, passage) pairs in each mode: ``dense``, ``sparse``, ``colbert``,
        ``sparse+dense`` and ``colbert+sparse+dense`` (weights: dense, sparse, colbert;
        default equal). No instruction is added, as in FlagEmbedding."""
        del kwargs
        one = (
            isinstance(sentence_pairs, tuple)
            and len(sentence_pairs) == 2
            and isinstance(sentence_pairs[0], str)
        )
        pairs: list[tuple[str, str]] = (
            [sentence_pairs]  # type: ignore[list-item]  # one is a (str, str) tuple
            if one
            else list(sentence_pairs)  # type: ignore[arg-type]
        )
        weights = (
            [1.0, 1.0, 1.0]
            if weights_for_different_modes is None
            else list(weights_for_different_modes)
        )
        if len(weights) != 3 or sum(weights) <= 0:
            raise ConfigError(
                "weights_for_different_modes must be 3 weights (dense, sparse, colbert) with a "
                f"positive sum, not {weights_for_different_modes!r}"
            )
        modes = ("dense", "sparse", "colbert", "sparse+dense", "colbert+sparse+dense")
        if not pairs:
            empty: dict[str, list[float]] = {m: [] for m in modes}
            return empty
        for k, pair in enumerate(pairs):
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                raise ConfigError(f"sentence_pairs[{k}] is not a (query, passage) pair")
        q = self.encode(
            [p[0] for p in pairs],
            batch_size=batch_size,
            max_length=max_query_length or self.query_max_length or self.max_length,
            return_dense=True,
            return_sparse=True,
            return_colbert_vecs=True,
        )
        p = self.encode(
            [p[1] for p in pairs],
            batch_size=batch_size,
            max_length=max_passage_length or self.max_length,
            return_dense=True,
            return_sparse=True,
            return_colbert_vecs=True,
        )
        dense = [float(a @ b) for a, b in zip(q["dense_vecs"], p["dense_vecs"], strict=True)]
        sparse = [
            lexical_matching_score(a, b)
            for a, b in zip(q["lexical_weights"], p["lexical_weights"], strict=True)
        ]
        colbert = [
            colbert_score(a, b) for a, b in zip(q["colbert_vecs"], p["colbert_vecs"], strict=True)
        ]
        wd, ws, wc = weights
        scores = {
            "dense": dense,
            "sparse": sparse,
            "colbert": colbert,
            "sparse+dense": [
                (ws * s + wd * d) / (ws + wd) for d, s in zip(dense, sparse, strict=True)
            ],
            "colbert+sparse+dense": [
                (wc * c + ws * s + wd * d) / (wd + ws + wc)
                for d, s, c in zip(dense, sparse, colbert, strict=True)
            ],
        }
        if one:
            return {m: v[0] for m, v in scores.items()}
        return scores


def _lexical_weights(weights: np.ndarray, ids: Sequence[int], unused: set[int]) -> dict[str, float]:
    out: dict[str, float] = {}
    for w, i in zip(weights.tolist(), ids, strict=True):
        if i in unused or w <= 0:
            continue
        key = str(i)
        if w > out.get(key, 0.0):
            out[key] = w
    return out
