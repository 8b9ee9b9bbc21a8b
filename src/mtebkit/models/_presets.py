"""Model presets: the settings a model's authors used to produce their published scores.

A preset fixes the query instruction, pooling, normalisation, max length and official hub
revision of a known model, plus the per-task rule for *where* the instruction is applied.
The bge rules follow FlagEmbedding's ``C_MTEB/eval_MTEB.py`` and ``C_MTEB/eval_C-MTEB.py``:

* English bge (v1 and v1.5): the instruction goes to the queries of Retrieval tasks only, but
  not ArguAna or QuoraRetrieval (symmetric tasks); embeddings are *not* normalised (the
  authors: normalising harms classification). Cosine tasks are unaffected by this.
* Chinese bge: the instruction goes to the queries of Retrieval *and* Reranking tasks;
  embeddings are normalised. ``bge-large-zh-noinstruct`` uses no instruction at all.

Unknown models get no preset: they use their own sentence-transformers configuration.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mtebkit._util.registry import Registry

__all__ = [
    "BGE_EN_INSTRUCTION",
    "BGE_ZH_INSTRUCTION",
    "POOLINGS",
    "RERANKER_PRESETS",
    "ModelPreset",
    "Pooling",
    "RerankerPreset",
    "find_preset",
    "get_preset",
    "get_reranker_preset",
    "list_presets",
    "list_reranker_presets",
]

# last_token: the hidden state of each text's last real token (decoder-only embedders)
Pooling = Literal["cls", "mean", "last_token"]
POOLINGS: tuple[Pooling, ...] = ("cls", "mean", "last_token")

BGE_EN_INSTRUCTION = "Represent this sentence for searching relevant passages: "
BGE_ZH_INSTRUCTION = "为这个句子生成表示以用于检索相关文章："


class ModelPreset(BaseModel):
    """Settings of one known model. Frozen and validated; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="hub id, e.g. BAAI/bge-base-en-v1.5")
    revision: str | None = Field(description="official hub commit the published scores used")
    query_instruction: str | None = None
    instruction_task_types: frozenset[str] = Field(
        default=frozenset(), description="mteb task types whose queries get the instruction"
    )
    no_instruction_tasks: frozenset[str] = Field(
        default=frozenset(), description="task names excluded from the instruction rule"
    )
    pooling: Pooling = "cls"
    normalize: bool = True
    max_length: int = 512
    append_eos: bool = False
    """Append the tokenizer's EOS token to every text (Qwen3-Embedding is trained so)."""
    query_template: str | None = None
    """How instruction and query are joined, ``T.format(instruction, query)`` (None: ``{}{}``)."""
    protocol: Literal["FlagModel", "FlagLLMModel", "FlagICLModel"] = "FlagModel"
    """The FlagEmbedding class whose protocol the authors evaluate the model with."""
    task_instructions: Literal["preset", "mteb"] = "preset"
    """Where a task's instruction comes from: ``preset``, this preset's rule (bge: the queries
    of retrieval and reranking tasks); ``mteb``, mteb's per-task instruction (the task's
    ``prompt``, as mteb's instruct-model wrappers read it) on every text but documents."""
    gpu_dtype: Literal["float16", "bfloat16"] = "float16"
    """Half precision on CUDA (``use_fp16``); float32 on CPU whatever this says. bfloat16 for
    models trained in it, whose activations overflow float16."""
    embed_dim: int | None = None
    languages: tuple[str, ...] = ()
    similarity: Literal["cosine", "dot"] = "cosine"
    notes: str = ""

    def instruction_for(self, task_name: str, task_type: str) -> str | None:
        """The query instruction the authors used for this task, or None."""
        if self.query_instruction is None or task_name in self.no_instruction_tasks:
            return None
        if task_type in self.instruction_task_types:
            return self.query_instruction
        return None


def _bge_en(name: str, revision: str, dim: int) -> ModelPreset:
    return ModelPreset(
        name=name,
        revision=revision,
        query_instruction=BGE_EN_INSTRUCTION,
        instruction_task_types=frozenset({"Retrieval"}),
        no_instruction_tasks=frozenset({"ArguAna", "QuoraRetrieval"}),
        pooling="cls",
        normalize=False,
        max_length=512,
        embed_dim=dim,
        languages=("eng-Latn",),
        notes="FlagEmbedding C_MTEB/eval_MTEB.py: instruction on retrieval queries except ArguAna, QuoraRetrieval",
    )


def _bge_zh(name: str, revision: str | None, dim: int, *, instruction: bool = True) -> ModelPreset:
    return ModelPreset(
        name=name,
        revision=revision,
        query_instruction=BGE_ZH_INSTRUCTION if instruction else None,
        instruction_task_types=frozenset({"Retrieval", "Reranking"})
        if instruction
        else frozenset(),
        pooling="cls",
        normalize=True,
        max_length=512,
        embed_dim=dim,
        languages=("cmn-Hans",),
        notes="FlagEmbedding C_MTEB/eval_C-MTEB.py: instruction on retrieval and reranking queries",
    )


def _load_builtin(reg: Registry[ModelPreset]) -> None:
    # Revisions: the hub commits of the published evaluations (as in mteb's model registry).
    for p in (
        _bge_en("BAAI/bge-small-en", "2275a7bdee235e9b4f01fa73aa60d3311983cfea", 384),
        _bge_en("BAAI/bge-base-en", "b737bf5dcc6ee8bdc530531266b4804a5d77b5d8", 768),
        _bge_en("BAAI/bge-large-en", "abe7d9d814b775ca171121fb03f394dc42974275", 1024),
        _bge_en("BAAI/bge-small-en-v1.5", "5c38ec7c405ec4b44b94cc5a9bb96e735b38267a", 384),
        _bge_en("BAAI/bge-base-en-v1.5", "a5beb1e3e68b9ab74eb54cfd186867f64f240e1a", 768),
        _bge_en("BAAI/bge-large-en-v1.5", "d4aa6901d3a41ba39fb536a557fa166f842b0e09", 1024),
        _bge_zh("BAAI/bge-small-zh", "1d2363c5de6ce9ba9c890c8e23a4c72dce540ca8", 512),
        _bge_zh("BAAI/bge-base-zh", "0e5f83d4895db7955e4cb9ed37ab73f7ded339b6", 768),
        _bge_zh("BAAI/bge-large-zh", "b5d9f5c027e87b6f0b6fa4b614f8f9cdc45ce0e8", 1024),
        _bge_zh("BAAI/bge-small-zh-v1.5", "7999e1d3359715c523056ef9478215996d62a620", 512),
        _bge_zh("BAAI/bge-base-zh-v1.5", "f03589ceff5aac7111bd60cfc7d497ca17ecac65", 768),
        _bge_zh("BAAI/bge-large-zh-v1.5", "79e7739b6ab944e86d6171e44d24c997fc1e0116", 1024),
        # No pinned revision is known offline: the weights fingerprint stands in for it.
        _bge_zh("BAAI/bge-large-zh-noinstruct", None, 1024, instruction=False),
        ModelPreset(
            name="sentence-transformers/all-MiniLM-L6-v2",
            revision="8b3219a92973c328a8e22fadcfa821b5dc75636a",
            pooling="mean",
            normalize=True,
            max_length=256,  # part of its published scores
            embed_dim=384,
            languages=("eng-Latn",),
        ),
        ModelPreset(
            name="sentence-transformers/all-mpnet-base-v2",
            revision="9a3225965996d404b775526de6dbfe85d3368642",
            pooling="mean",
            normalize=True,
            max_length=384,
            embed_dim=768,
            languages=("eng-Latn",),
        ),
        *_llm_presets(),
    ):
        reg.register(p.name, p)


# The FlagEmbedding templates: FlagLLMModel's and FlagICLModel's query_instruction_format
E5_TEMPLATE = "Instruct: {}\nQuery: {}"
ICL_TEMPLATE = "<instruct>{}\n<query>{}"


def _llm_presets() -> tuple[ModelPreset, ...]:
    # revision and max tokens as mteb's ModelMeta gives them (tests/models/test_llm_presets.py
    # checks they still agree); the instruction is mteb's for each task, on every text but
    # documents (mteb's InstructSentenceTransformerModel, apply_instruction_to_passages=False)
    def llm(name: str, revision: str, dim: int, max_length: int, **kw: object) -> ModelPreset:
        fields: dict[str, object] = {
            "name": name,
            "revision": revision,
            "pooling": "last_token",
            "normalize": True,
            "max_length": max_length,
            "embed_dim": dim,
            "instruction_task_types": frozenset({"Retrieval", "Reranking"}),
            "query_template": E5_TEMPLATE,
            "protocol": "FlagLLMModel",
            "task_instructions": "mteb",
            **kw,
        }
        return ModelPreset.model_validate(fields)

    return (
        # EOS appended as mteb's loader does (add_eos_token) and e5-mistral's model card shows
        llm(
            "intfloat/e5-mistral-7b-instruct",
            "07163b72af1488142a360786df853f237b1a3ca1",
            4096,
            32768,
            append_eos=True,
        ),
        # mteb's ModelMeta says 8960 dimensions (the MLP width); the hidden size is 1536
        llm(
            "Alibaba-NLP/gte-Qwen2-1.5B-instruct",
            "c6c1b92f4a3e1b92b326ad29dd3c8433457df8dd",
            1536,
            32768,
            append_eos=True,
        ),
        llm(
            "Qwen/Qwen3-Embedding-0.6B",
            "b22da495047858cce924d27d76261e96be6febc0",
            1024,
            32768,
            query_template="Instruct: {}\nQuery:{}",  # no space after "Query:" (Qwen3's own)
            append_eos=True,
            gpu_dtype="bfloat16",
        ),
        llm(
            "BAAI/bge-en-icl",
            "971c7e1445cc86656ca0bd85ed770b8675a40bb5",
            4096,
            32768,
            query_template=ICL_TEMPLATE,
            protocol="FlagICLModel",
        ),
        llm(
            "BAAI/bge-multilingual-gemma2",
            "992e13d8984fde2c31ef8a3cb2c038aeec513b8a",
            3584,
            8192,
            query_template=ICL_TEMPLATE,
            gpu_dtype="bfloat16",
        ),
    )


_PRESETS: Registry[ModelPreset] = Registry("model preset", _load_builtin)


def get_preset(name: str) -> ModelPreset:
    """The preset registered under ``name``; ``UnknownNameError`` ("did you mean") otherwise."""
    return _PRESETS.get(name)


def find_preset(name: str) -> ModelPreset | None:
    """The preset registered under ``name``, or None."""
    return _PRESETS.find(name)


def list_presets() -> list[ModelPreset]:
    """Every preset, sorted by name."""
    return [_PRESETS.get(n) for n in _PRESETS]


# --------------------------------------------------------------------------- cross-encoders


class RerankerPreset(BaseModel):
    """Published settings of a cross-encoder (FlagEmbedding's ``FlagReranker`` defaults)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    max_length: int = Field(512, ge=8)
    batch_size: int = Field(128, ge=1)
    revision: str | None = None  # None: whichever snapshot the HF cache holds (recorded)
    languages: tuple[str, ...] = ()
    description: str = ""


def _load_builtin_rerankers(reg: Registry[RerankerPreset]) -> None:
    for size in ("base", "large"):
        reg.register(
            f"BAAI/bge-reranker-{size}",
            RerankerPreset(
                name=f"BAAI/bge-reranker-{size}",
                max_length=512,
                batch_size=128,
                languages=("eng-Latn", "cmn-Hans"),
                description=f"bge cross-encoder ({size}, XLM-RoBERTa), English + Chinese",
            ),
        )


RERANKER_PRESETS: Registry[RerankerPreset] = Registry("reranker preset", _load_builtin_rerankers)


def get_reranker_preset(name: str) -> RerankerPreset:
    """The reranker preset registered under ``name`` ("did you mean" otherwise)."""
    return RERANKER_PRESETS.get(name)


def list_reranker_presets() -> list[RerankerPreset]:
    """Every reranker preset, sorted by name."""
    return [RERANKER_PRESETS.get(n) for n in RERANKER_PRESETS]
