"""A tiny bge-m3-shaped folder (random weights, no download): an XLM-RoBERTa encoder with an
``<s> … </s>`` word-piece tokenizer built here, and the ``sparse_linear.pt`` /
``colbert_linear.pt`` heads bge-m3 ships beside its weights."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.helpers.tiny_models import WORDS

HIDDEN = 32
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]


def make_m3_tokenizer() -> Any:
    """A BPE ``PreTrainedTokenizerFast`` trained on :data:`WORDS` whose post-processor wraps a
    text as ``<s> text </s>``, as XLM-RoBERTa's does."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE(unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Metaspace()
    core.decoder = decoders.Metaspace()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=SPECIALS, show_progress=False)
    sentences = [" ".join(WORDS[i : i + 6]) for i in range(len(WORDS))] * 3
    core.train_from_iterator(sentences, trainer=trainer)
    core.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", core.token_to_id("<s>")), ("</s>", core.token_to_id("</s>"))],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token="<s>",
        cls_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
    )


def make_tiny_m3(
    path: Path, *, seed: int = 0, colbert_dim: int = HIDDEN, heads: bool = True
) -> Path:
    """Save a 2-layer, 32-dim XLM-RoBERTa and (``heads``) bge-m3's two heads at ``path``."""
    import torch
    from transformers import AutoModel, XLMRobertaConfig

    tok = make_m3_tokenizer()
    cfg = XLMRobertaConfig(
        vocab_size=len(tok),
        hidden_size=HIDDEN,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=130,
        pad_token_id=tok.pad_token_id,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
    )
    torch.manual_seed(seed)
    model = AutoModel.from_config(cfg)
    model.eval()
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    tok_cfg = path / "tokenizer_config.json"  # keep this tokenizer, not XLM-R's sentencepiece
    tok_cfg.write_text(
        json.dumps(
            {**json.loads(tok_cfg.read_text()), "tokenizer_class": "PreTrainedTokenizerFast"}
        )
    )
    if heads:
        sparse = torch.nn.Linear(HIDDEN, 1)
        with torch.no_grad():  # about half the tokens get a positive (kept) weight
            sparse.weight.normal_()
            sparse.bias.zero_()
        torch.save(sparse.state_dict(), path / "sparse_linear.pt")
        torch.save(torch.nn.Linear(HIDDEN, colbert_dim).state_dict(), path / "colbert_linear.pt")
    return path
