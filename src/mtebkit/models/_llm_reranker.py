"""FlagEmbedding's ``FlagLLMReranker`` (bge-reranker-v2-gemma and the like): a causal LM asked
whether the passage answers the query; the score is the logit of "Yes" at the last position.

The input of a pair, as FlagEmbedding 1.4's ``BaseLLMReranker`` builds it (no special tokens
from the tokenizer itself)::

    [BOS] tok(A: query)[:query_max_length]  tok(\\n) tok(B: passage)[:max_length]  tok(\\n) tok(prompt)

BOS only when the tokenizer has one distinct from its padding; the ``\\n`` + passage part is cut
(``only_second``, on the tokenizer's truncation side) so that the pair without the trailing
``\\n`` + prompt holds at most ``max_length + len(\\n) + len(prompt)`` tokens. ``query_max_length``
defaults to ``3/4 · max_length``. The score is ``logits[last real token, id("Yes")]``, the first
token of ``tok("Yes")``; ``normalize=True`` gives its sigmoid.

Only the last position's hidden state goes through the LM head (FlagEmbedding computes the
vocabulary's logits at every position); a model that soft-caps its logits (Gemma 2) is capped
the same way.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from mtebkit._util.progress import Progress
from mtebkit.errors import ConfigError, ModelNotFoundError, UnsupportedModelError
from mtebkit.models._reranker import Reranker

__all__ = ["LLM_RERANK_PROMPT", "FlagLLMReranker"]

LLM_RERANK_PROMPT = (
    "Given a query A and a passage B, determine whether the passage contains an answer to the "
    "query by providing a prediction of either 'Yes' or 'No'."
)


class FlagLLMReranker(Reranker):
    """FlagEmbedding's ``FlagLLMReranker``: ``compute_score(pairs, normalize=...)`` with
    FlagEmbedding 1.4's constructor arguments (``peft_path`` is refused: merge the adapter
    into the weights first, so that the results name what was scored)."""

    def __init__(
        self,
        model_name_or_path: str | os.PathLike[str],
        peft_path: str | None = None,
        use_fp16: bool = False,
        use_bf16: bool = False,
        query_instruction_for_rerank: str | None = "A: ",
        query_instruction_format: str = "{}{}",
        passage_instruction_for_rerank: str | None = "B: ",
        passage_instruction_format: str = "{}{}",
        cache_dir: str | None = None,
        trust_remote_code: bool = False,
        devices: Sequence[str] | str | None = None,
        prompt: str | None = None,
        batch_size: int = 128,
        query_max_length: int | None = None,
        max_length: int = 512,
        normalize: bool = False,
        **kwargs: Any,
    ) -> None:
        if peft_path is not None:
            raise ConfigError(
                "peft_path is not supported: merge the adapter (merge_and_unload) and save the "
                "model, so that its weights fingerprint names what was scored"
            )
        if use_bf16:
            raise ConfigError("use_bf16 is not supported for rerankers yet; use use_fp16")
        if kwargs:
            raise ConfigError(f"unknown FlagLLMReranker options: {', '.join(sorted(kwargs))}")
        del cache_dir, trust_remote_code  # local files only, nothing downloaded
        self.query_instruction = query_instruction_for_rerank
        self.query_format = query_instruction_format.replace("\\n", "\n")
        self.passage_instruction = passage_instruction_for_rerank
        self.passage_format = passage_instruction_format.replace("\\n", "\n")
        self.prompt = LLM_RERANK_PROMPT if prompt is None else prompt
        if query_max_length is not None and query_max_length < 1:
            raise ConfigError(f"query_max_length must be >= 1, not {query_max_length}")
        self.query_max_length = query_max_length
        super().__init__(
            model_name_or_path,
            use_fp16=use_fp16,
            max_length=max_length,
            batch_size=batch_size,
            devices=devices,
            normalize=normalize,
        )

    def _load(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        path = str(self.resolved.path)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            model: Any = AutoModelForCausalLM.from_pretrained(path, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelNotFoundError(f"cannot load a causal LM from {path}: {exc}") from None
        model.eval()
        if self.use_fp16:
            model = model.half()
        self._n_parameters = sum(p.numel() for p in model.parameters())
        self.model = model.to(torch.device(self.device))
        head = model.get_output_embeddings()
        if head is None:
            raise UnsupportedModelError(f"{path}: the causal LM has no output (LM) head")
        self._head = head
        self._cap = getattr(model.config, "final_logit_softcapping", None)
        yes = self.tokenizer("Yes", add_special_tokens=False)["input_ids"]
        if not yes:
            raise UnsupportedModelError(f"{path}: the tokenizer turns 'Yes' into no token")
        self.yes_id = int(yes[0])

    # ------------------------------------------------------------------ the prompt
    def pair_ids(self, query: str, passage: str, *, max_length: int | None = None) -> list[int]:
        """The token ids FlagEmbedding's ``FlagLLMReranker`` scores for one pair."""
        ml = int(max_length or self.max_length)
        qml = self.query_max_length or ml * 3 // 4
        tok = self.tokenizer

        def ids(text: str, limit: int | None = None) -> list[int]:
            out: list[int] = tok(
                text,
                add_special_tokens=False,
                truncation=limit is not None,
                max_length=limit,
            )["input_ids"]
            return out

        if self.query_instruction is not None:
            query = self.query_format.format(self.query_instruction, query)
        if self.passage_instruction is not None:
            passage = self.passage_format.format(self.passage_instruction, passage)
        sep, prompt = ids("\n"), ids(self.prompt)
        first = ids(query, qml)
        bos, pad = tok.bos_token_id, tok.pad_token_id
        if bos is not None and bos != pad:
            first = [bos, *first]
        second = sep + ids(passage, ml)
        room = max(ml + len(sep) + len(prompt) - len(first), 0)
        if len(second) > room:
            left = getattr(tok, "truncation_side", "right") == "left"
            second = second[len(second) - room :] if left else second[:room]
        return first + second + sep + prompt

    # ------------------------------------------------------------------ scoring
    def _score_sorted(
        self,
        pairs: Sequence[tuple[str, str]],
        order: list[int],
        bs: int,
        ml: int,
        progress: Progress | None,
    ) -> list[float]:
        import torch

        pad = self.tokenizer.pad_token_id
        pad = 0 if pad is None else int(pad)
        base = self.model.base_model
        out = [0.0] * len(pairs)
        with torch.inference_mode():
            for start in range(0, len(order), bs):
                idx = order[start : start + bs]
                rows = [self.pair_ids(*pairs[i], max_length=ml) for i in idx]
                longest = max(len(r) for r in rows)
                if longest > self.model_max_length:  # the prompt comes on top of max_length
                    raise ConfigError(
                        f"max_length {ml} plus the prompt makes {longest} tokens, beyond the "
                        f"model's {self.model_max_length} positions; lower max_length"
                    )
                # right padding: a causal model's real positions never see the pads after them
                input_ids = torch.full((len(rows), longest), pad, dtype=torch.long)
                mask = torch.zeros((len(rows), longest), dtype=torch.long)
                for r, row in enumerate(rows):
                    input_ids[r, : len(row)] = torch.tensor(row)
                    mask[r, : len(row)] = 1
                device = self.model.device
                hidden = base(
                    input_ids=input_ids.to(device), attention_mask=mask.to(device)
                ).last_hidden_state
                last = torch.tensor([len(r) - 1 for r in rows], device=hidden.device)
                h = hidden[torch.arange(len(rows), device=hidden.device), last]
                logits = self._head(h).float()
                if self._cap:
                    logits = torch.tanh(logits / self._cap) * self._cap
                for i, s in zip(idx, logits[:, self.yes_id].cpu().tolist(), strict=True):
                    out[i] = float(s)
                if progress is not None:
                    progress.update(len(idx))
        return out

    def settings_record(self) -> dict[str, Any]:
        """The settings that change scores: the reranker's, and the prompt protocol's."""
        return {
            **super().settings_record(),
            "protocol": "llm-yes-logit",
            "prompt": self.prompt,
            "query_instruction": self.query_instruction,
            "query_instruction_format": self.query_format,
            "passage_instruction": self.passage_instruction,
            "passage_instruction_format": self.passage_format,
            "query_max_length": self.query_max_length,
        }

    def __repr__(self) -> str:
        return (
            f"FlagLLMReranker({self.resolved.name!r}, revision={self.resolved.revision!r}, "
            f"device={self.device!r})"
        )
