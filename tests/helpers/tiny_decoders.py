"""Tiny decoder-only embedders built from a config (random weights, no download): Qwen2,
Mistral and Gemma2 with a word-level tokenizer built here, saved as sentence-transformers
folders with last-token pooling."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from tests.helpers.tiny_models import WORDS

Arch = Literal["qwen2", "mistral", "gemma2"]
SPECIALS = ["<pad>", "<unk>", "<bos>", "<eos>"]


def _config(arch: Arch, vocab_size: int, pad_id: int, eos_id: int, bos_id: int) -> Any:
    common: dict[str, Any] = {
        "vocab_size": vocab_size,
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 256,
        "pad_token_id": pad_id,
        "eos_token_id": eos_id,
        "bos_token_id": bos_id,
    }
    if arch == "qwen2":
        from transformers import Qwen2Config

        return Qwen2Config(**common)
    if arch == "mistral":
        from transformers import MistralConfig

        return MistralConfig(**common, sliding_window=None)
    from transformers import Gemma2Config

    return Gemma2Config(**common, head_dim=8, sliding_window=16, query_pre_attn_scalar=8)


def make_tokenizer(padding_side: str = "right", *, eos_post: bool = False) -> Any:
    """A byte-level BPE ``PreTrainedTokenizerFast`` trained here on :data:`WORDS` (Qwen2's
    tokenizer class rebuilds a byte-level BPE from the vocabulary and merges, so any other
    model type would not survive loading), with pad/unk/bos/eos tokens; ``eos_post``: its
    post-processor appends EOS (as Qwen3-Embedding's tokenizer does)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    sentences = [" ".join(WORDS[i : i + 6]) for i in range(len(WORDS))] * 3
    core.train_from_iterator(sentences, trainer=trainer)
    if eos_post:
        core.post_processor = processors.TemplateProcessing(
            single="$A <eos>", special_tokens=[("<eos>", core.token_to_id("<eos>"))]
        )
    tok = PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="<pad>",
        unk_token="<unk>",
        bos_token="<bos>",
        eos_token="<eos>",
        padding_side=padding_side,
    )
    return tok


def make_tiny_decoder(
    path: Path,
    *,
    arch: Arch = "qwen2",
    padding_side: str = "right",
    seed: int = 0,
    st: bool = True,
    normalize: bool = True,
    max_length: int = 64,
    eos_post: bool = False,
    pooling_config: dict[str, Any] | None = None,
) -> Path:
    """Save a 2-layer, 32-dim decoder and its tokenizer at ``path``; with ``st``, as a
    sentence-transformers folder (``pooling_config``: another ``1_Pooling/config.json``)."""
    import torch
    from transformers import AutoModel

    tok = make_tokenizer(padding_side, eos_post=eos_post)
    cfg = _config(arch, len(tok), tok.pad_token_id, tok.eos_token_id, tok.bos_token_id)
    torch.manual_seed(seed)
    model = AutoModel.from_config(cfg)
    model.eval()
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    # transformers 5 writes "TokenizersBackend", and AutoTokenizer then builds the model type's
    # own tokenizer class (Qwen2Tokenizer: a BPE pipeline) around this word-level vocabulary
    tok_cfg = path / "tokenizer_config.json"
    tok_cfg.write_text(
        json.dumps(
            {**json.loads(tok_cfg.read_text()), "tokenizer_class": "PreTrainedTokenizerFast"}
        )
    )
    if not st:
        return path
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {
            "idx": 1,
            "name": "1",
            "path": "1_Pooling",
            "type": "sentence_transformers.models.Pooling",
        },
    ]
    if normalize:
        modules.append(
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            }
        )
    (path / "modules.json").write_text(json.dumps(modules))
    (path / "1_Pooling").mkdir(exist_ok=True)
    pooling = pooling_config or {"word_embedding_dimension": 32, "pooling_mode_lasttoken": True}
    (path / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    (path / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": max_length}))
    return path


def make_tiny_causal_lm(path: Path, *, arch: Arch = "qwen2", seed: int = 0) -> Path:
    """Save a 2-layer, 32-dim causal LM (with its LM head) and the tokenizer at ``path``: the
    shape of an LLM reranker (bge-reranker-v2-gemma)."""
    import torch
    from transformers import AutoModelForCausalLM

    tok = make_tokenizer("right")
    cfg = _config(arch, len(tok), tok.pad_token_id, tok.eos_token_id, tok.bos_token_id)
    if arch == "gemma2":
        cfg.final_logit_softcapping = 0.01  # below the tiny logits, so the cap changes them
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(cfg)
    model.eval()
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    tok_cfg = path / "tokenizer_config.json"
    tok_cfg.write_text(
        json.dumps(
            {**json.loads(tok_cfg.read_text()), "tokenizer_class": "PreTrainedTokenizerFast"}
        )
    )
    return path
