"""Tiny BERT models built from a config (random weights, no download) for plumbing tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

WORDS = [
    "the",
    "a",
    "an",
    "of",
    "to",
    "and",
    "in",
    "is",
    "on",
    "for",
    "with",
    "that",
    "this",
    "it",
    "as",
    "are",
    "be",
    "by",
    "at",
    "from",
    "or",
    "was",
    "what",
    "how",
    "why",
    "who",
    "cat",
    "dog",
    "man",
    "woman",
    "car",
    "music",
    "food",
    "city",
    "river",
    "mountain",
    "book",
    "film",
    "game",
    "water",
    "fire",
    "tree",
    "house",
    "plays",
    "eats",
    "reads",
    "runs",
    "drives",
    "sings",
    "cooks",
    "writes",
    "watches",
    "swims",
    "red",
    "blue",
    "green",
    "big",
    "small",
    "old",
    "new",
    "猫",
    "狗",
    "人",
    "车",
    "音",
    "乐",
    "食",
    "物",
    "城",
    "市",
    "河",
    "山",
    "书",
    "电",
    "影",
    "水",
    "火",
    "树",
    "房",
    "子",
    "的",
    "是",
    "在",
    "有",
    "一",
    "个",
]


def write_vocab(path: Path) -> Path:
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    # wordpiece continuation pieces for letters so unknown words still tokenize
    vocab += [f"##{c}" for c in "abcdefghijklmnopqrstuvwxyz"] + list("abcdefghijklmnopqrstuvwxyz")
    path.mkdir(parents=True, exist_ok=True)
    (path / "vocab.txt").write_text("\n".join(dict.fromkeys(vocab)) + "\n", encoding="utf-8")
    return path / "vocab.txt"


def tiny_bert_config(vocab_size: int, **overrides: object) -> Any:
    """A 2-layer, 32-dim ``BertConfig`` (one logit when used for classification)."""
    from transformers import BertConfig

    fields: dict[str, object] = {
        "vocab_size": vocab_size,
        "hidden_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": 64,
        "max_position_embeddings": 128,
        "num_labels": 1,
        **overrides,
    }
    return BertConfig(**fields)


def make_tiny_bert(
    path: Path,
    *,
    seed: int = 0,
    classifier: bool = False,
    classifier_scale: float | None = None,
    st_config: dict | None = None,
) -> Path:
    """Save a 2-layer, 32-dim BERT (or BertForSequenceClassification) with a tokenizer at ``path``.

    ``classifier_scale`` multiplies the classification head's weights: a fresh random head gives
    near-constant logits, and ranking tests need clearly different scores.
    """
    import torch
    from transformers import BertForSequenceClassification, BertModel, BertTokenizerFast

    vocab_file = write_vocab(path)
    words = vocab_file.read_text(encoding="utf-8").split()
    # transformers 5 takes ``vocab=`` (``vocab_file=`` is ignored and leaves only the specials)
    tok = BertTokenizerFast(vocab={w: i for i, w in enumerate(words)}, do_lower_case=True)
    assert len(tok) == len(words), "tokenizer lost its vocabulary"
    cfg = tiny_bert_config(len(words))
    torch.manual_seed(seed)
    model = BertForSequenceClassification(cfg) if classifier else BertModel(cfg)
    model.eval()
    if classifier and classifier_scale is not None:
        with torch.no_grad():
            model.classifier.weight.mul_(classifier_scale)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    if st_config is not None:
        # a sentence-transformers layout: modules.json + pooling config + max_seq_length
        (path / "1_Pooling").mkdir(exist_ok=True)
        modules = [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
        ]
        if st_config.get("normalize"):
            modules.append(
                {
                    "idx": 2,
                    "name": "2",
                    "path": "2_Normalize",
                    "type": "sentence_transformers.models.Normalize",
                }
            )
        (path / "modules.json").write_text(json.dumps(modules))
        (path / "1_Pooling" / "config.json").write_text(
            json.dumps(
                {
                    "word_embedding_dimension": 32,
                    "pooling_mode_cls_token": st_config.get("pooling") == "cls",
                    "pooling_mode_mean_tokens": st_config.get("pooling") == "mean",
                }
            )
        )
        (path / "sentence_bert_config.json").write_text(
            json.dumps({"max_seq_length": st_config.get("max_length", 64)})
        )
    return path


def varied_texts(n: int) -> list[str]:
    """``n`` texts of 1 to 13 words of :data:`WORDS` (token lengths vary: several batches)."""
    return [" ".join(WORDS[(i * 7 + k) % 40] for k in range(1 + (i * 5) % 13)) for i in range(n)]


def make_tiny_mean_bert(folder: Path) -> Path:
    """A tiny mean-pooled, normalised model with max length 48 (the batch-plan tests')."""
    return make_tiny_bert(
        folder, st_config={"pooling": "mean", "normalize": True, "max_length": 48}
    )


def build_tiny_ce(path: Path, seed: int = 3) -> Path:
    """A 2-layer BertForSequenceClassification with a word-level vocab (random weights, no download),
    its head scaled so that scores differ clearly between pairs (ranking tests need no ties)."""
    return make_tiny_bert(path, seed=seed, classifier=True, classifier_scale=500.0)
