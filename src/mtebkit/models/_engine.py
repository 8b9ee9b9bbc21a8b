"""The encoding engine: a loaded transformer that turns texts into pooled float32 vectors.

It deduplicates texts, reads and writes the embedding cache, sorts by token length (longest
first, so padding is minimal and an out-of-memory error shows up on the first batch), forms
batches by a token budget, runs them on one lane per device (on CPU: one single-threaded lane
per core), splits a batch in halves on a CUDA out-of-memory error, and restores the input
order. It knows nothing of tasks, instructions or mteb: the facades in ``_embedder`` and
``_mteb_adapter`` do.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mtebkit._util.progress import Progress
from mtebkit.errors import MtebkitError
from mtebkit.models._cache import VectorCache
from mtebkit.models._encoding_stats import EncodingTally, count_truncated
from mtebkit.models._engine_facts import EngineFacts
from mtebkit.models._resolve import model_files_digest
from mtebkit.models._settings import DTYPES, EncodingSettings

if TYPE_CHECKING:
    import torch

__all__ = [
    "CACHE_CHUNK_TEXTS",
    "MAX_TEXTS_FACTOR",
    "BatchRunner",
    "EncodingEngine",
    "batches_run_by",
    "lanes_for",
    "max_texts",
    "text_key",
    "token_batches",
]

logger = logging.getLogger(__name__)

# Texts encoded between two cache writes: large enough that every lane stays busy, small
# enough that an interruption loses minutes, not hours.
CACHE_CHUNK_TEXTS = 8192

# How many times ``batch_size`` texts one batch may hold when its texts are short (the token
# budget, ``batch_size * max_length``, still bounds memory). On CPU larger batches are slower:
# measured on 2 cores, 256 short sentences per batch ran ~1.4x slower than 32, because the
# activations no longer fit in cache (bench/README.md). GPUs want big batches.
MAX_TEXTS_FACTOR = {"cpu": 1, "cuda": 4}


def text_key(text: str) -> str:
    """The cache key of a text: sha256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _is_cpu(device: str) -> bool:
    return device == "cpu" or device.startswith("cpu:")


def max_texts(batch_size: int, devices: Sequence[str]) -> int:
    """Most texts one batch may hold on these devices (see :data:`MAX_TEXTS_FACTOR`)."""
    kind = "cuda" if devices and all(d.startswith("cuda") for d in devices) else "cpu"
    return max(1, batch_size * MAX_TEXTS_FACTOR.get(kind, 1))


def token_batches(
    order: list[int],
    lengths: list[int],
    *,
    max_tokens: int,
    max_texts: int,
    same_length: bool = False,
) -> list[list[int]]:
    """Split ``order`` (longest first) into batches of at most ``max_tokens`` padded token slots.

    A batch's cost is ``len(batch) * longest``; with ``max_tokens = batch_size * max_length`` no
    batch needs more memory than ``batch_size`` texts of maximal length would, while batches of
    short texts grow (up to ``max_texts``) so every matrix product stays large and efficient.

    With ``same_length`` every batch holds texts of one token length only, so no text is ever
    padded; a run of ``n`` texts of one length is cut into ``ceil(n / cap)`` batches of equal
    size (``cap``: what the two limits allow at that length). Padding is what makes a CPU vector
    depend on its batch (softmax and pooling sums change association order when masked
    positions are added), so on CPU a text's vector is then the same in any batch.
    """
    if same_length:
        return _same_length_batches(order, lengths, max_tokens=max_tokens, max_texts=max_texts)
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for i in order:
        width = max(longest, lengths[i], 1)
        if current and ((len(current) + 1) * width > max_tokens or len(current) >= max_texts):
            batches.append(current)
            current, width = [], max(lengths[i], 1)
        current.append(i)
        longest = width
    if current:
        batches.append(current)
    return batches


def _same_length_batches(
    order: list[int], lengths: list[int], *, max_tokens: int, max_texts: int
) -> list[list[int]]:
    runs: list[list[int]] = []
    for i in order:
        if runs and lengths[runs[-1][-1]] == lengths[i]:
            runs[-1].append(i)
        else:
            runs.append([i])
    batches: list[list[int]] = []
    for run in runs:
        cap = max(1, min(max_texts, max_tokens // max(lengths[run[0]], 1)))
        size = -(-len(run) // -(-len(run) // cap))  # equal sizes: no small tail batch
        batches.extend(run[k : k + size] for k in range(0, len(run), size))
    return batches


def lanes_for(
    devices: Sequence[str], n_batches: int, *, cpu_lanes: int | None, cores: int
) -> tuple[list[int], int | None]:
    """(replica index of each worker lane, torch threads per lane or None to leave as is).

    A lane is a device, or on CPU a single-threaded share of the cores: measured on 2 cores,
    2 lanes x 1 thread encode short sentences up to 4x faster than 1 lane x 2 threads when
    other processes load the machine, since no thread ever waits at a barrier for a
    descheduled sibling (bench/README.md). ``cpu_lanes`` caps the CPU lanes (None: one per core).
    """
    if not devices:
        return [0], None
    if not all(_is_cpu(d) for d in devices):
        return list(range(len(devices))), None
    n = min(cpu_lanes if cpu_lanes is not None else cores, max(1, n_batches))
    n = max(n, 1)
    if n <= 1 and len(devices) == 1:
        return [0], None
    lanes = [r % len(devices) for r in range(max(n, len(devices)))]
    return lanes, max(1, cores // len(lanes))


# Runs the batches of one encode instead of ``EncodingEngine.forward_batches`` (e.g. sharded
# across Ray workers, evaluation/_shard.py): (engine, token-id batches, settings, progress)
# -> one array per batch, in order.
BatchRunner = Callable[
    ["EncodingEngine", list[list[list[int]]], EncodingSettings, "Progress | None"],
    list[np.ndarray],
]
_BATCH_RUNNER: ContextVar[BatchRunner | None] = ContextVar("mtebkit_batch_runner", default=None)


@contextmanager
def batches_run_by(runner: BatchRunner) -> Iterator[None]:
    """Within the block (this thread/context), every encode's batches go to ``runner``."""
    token = _BATCH_RUNNER.set(runner)
    try:
        yield
    finally:
        _BATCH_RUNNER.reset(token)


@contextmanager
def _torch_threads(n: int | None) -> Iterator[None]:
    """Set torch's intra-op threads for the block (process-wide), then restore them."""
    if n is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class EncodingEngine:
    """A tokenizer and model loaded on one or more devices, encoding texts into vectors.

    Args:
        path: the model folder (transformers layout).
        weights_sha256: the weights' fingerprint (part of every cache namespace).
        devices: where to run, one model replica each (see ``_configure.pick_devices``).
        dtype: ``float32`` / ``float16`` / ``bfloat16``.
        cpu_lanes: concurrent single-threaded batches on CPU (None: one per core).
        facts: what the model, once loaded, reports about itself (``_engine_facts``); given,
            the weights load on the first text to encode, not here (a warm run never needs them).
    """

    def __init__(
        self,
        path: Path,
        *,
        weights_sha256: str,
        devices: Sequence[str],
        dtype: str,
        cpu_lanes: int | None = None,
        facts: EngineFacts | None = None,
    ) -> None:
        if dtype not in DTYPES:
            raise MtebkitError(f"dtype must be one of {', '.join(DTYPES)}, not {dtype!r}")
        if cpu_lanes is not None and (isinstance(cpu_lanes, bool) or cpu_lanes < 1):
            raise MtebkitError(f"cpu_lanes must be >= 1, not {cpu_lanes}")
        self.path = Path(path)
        self.weights_sha256 = weights_sha256
        # the files read here, besides the weights, that change a vector (tokenizer, config)
        self.model_files_sha256 = model_files_digest(self.path)
        self.cpu_lanes = cpu_lanes
        self.devices = list(devices) or ["cpu"]
        self.dtype = dtype
        # padded-token ceiling per device, learned from CUDA out-of-memory errors (see
        # _forward_batch): later batches are split before they run, not after they fail
        self._oom_cap: dict[str, int] = {}
        self._load_lock = threading.Lock()
        self._loaded = facts is None
        if facts is None:
            self._load()
        else:
            self.embed_dim: int | None = facts.embed_dim
            self.n_parameters = facts.n_parameters
            self.cpu_kernels: str | None = facts.cpu_kernels
            self.max_positions: int | None = facts.max_positions

    def facts(self) -> EngineFacts:
        """What the model reports about itself (loaded, or as recorded by an earlier load)."""
        return EngineFacts(
            embed_dim=self.embed_dim,
            n_parameters=self.n_parameters,
            cpu_kernels=self.cpu_kernels,
            max_positions=self.max_positions,
        )

    def ensure_loaded(self) -> None:
        """Load the weights now if they were deferred; the loaded model must match its facts."""
        if self._loaded:
            return
        with self._load_lock:
            if self._loaded:
                return
            expected = self.facts()
            self._load()
            self._loaded = True
            if self.facts() != expected:
                raise MtebkitError(
                    f"{self.path}: the loaded model reports {self.facts()}, but the embedding "
                    f"cache recorded {expected} for it; clear the cache (mtebkit cache clear)"
                )

    @property
    def tokenizer(self) -> Any:
        self.ensure_loaded()
        return self._tokenizer

    # ------------------------------------------------------------------ loading
    def _load(self) -> None:
        import torch
        from safetensors import SafetensorError
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # loading bar: noise
        path = str(self.path)
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        specials = set(getattr(tokenizer, "all_special_tokens", []))
        if len(tokenizer) <= len(specials):
            raise MtebkitError(
                f"{self.path}: the tokenizer has no vocabulary beyond its {len(specials)} special "
                "tokens (every word would be [UNK]); check vocab.txt / tokenizer.json"
            )
        self._tokenizer = tokenizer
        try:
            base = AutoModel.from_pretrained(
                path, local_files_only=True, dtype=getattr(torch, self.dtype)
            )
        except (OSError, ValueError, RuntimeError, EOFError, SafetensorError) as exc:
            # truncated or damaged weights (safetensors / torch raise assorted types)
            found = [self.path / n for n in ("model.safetensors", "pytorch_model.bin")]
            weights = next((p for p in found if p.is_file()), self.path)
            raise MtebkitError(
                f"{weights}: cannot be loaded ({type(exc).__name__}: {exc}); "
                "the file may be truncated or damaged: copy it again"
            ) from None
        base.eval()
        self.n_parameters = sum(p.numel() for p in base.parameters())  # before any kernel swap
        self._replicas: list[tuple[str, torch.nn.Module]] = []
        for i, dev in enumerate(self.devices):
            m = base if i == 0 else copy.deepcopy(base)
            self._replicas.append((dev, m.to(dev)))
        # float32 on CPU: oneDNN kernels with packed weights (see _cpu_kernels; MTEBKIT_ONEDNN=0
        # keeps torch's defaults); the same numbers to float32 rounding, ~1.2x faster here
        self.cpu_kernels = None
        if any(_is_cpu(d) for d in self.devices):
            from mtebkit.models._cpu_kernels import use_onednn_linears

            self.cpu_kernels = "default"
            if self.dtype == "float32" and all(
                use_onednn_linears(m) > 0 for d, m in self._replicas if _is_cpu(d)
            ):
                self.cpu_kernels = "onednn"
        cfg = base.config
        self.embed_dim = int(getattr(cfg, "hidden_size", 0)) or None
        positions = getattr(cfg, "max_position_embeddings", None)
        self.max_positions = int(positions) if positions else None

    def settings(
        self, *, pooling: Any, normalize: bool, max_length: int, append_eos: bool = False
    ) -> EncodingSettings:
        """The :class:`EncodingSettings` of encoding with this engine at these settings."""
        return EncodingSettings(
            pooling=pooling,
            normalize=normalize,
            max_length=max_length,
            dtype=self.dtype,
            weights_sha256=self.weights_sha256,
            model_files_sha256=self.model_files_sha256,
            append_eos=append_eos,
        )

    def check_max_length(self, max_length: int) -> None:
        """Position embeddings beyond the model's limit do not exist: fail here, not deep inside."""
        if self.max_positions and max_length > self.max_positions:
            raise MtebkitError(
                f"max_length {max_length} exceeds the model's max_position_embeddings "
                f"{self.max_positions}"
            )

    # ------------------------------------------------------------------ encoding
    def encode(
        self,
        texts: Sequence[str],
        *,
        settings: EncodingSettings,
        batch_size: int,
        cache: VectorCache | None = None,
        progress: Progress | None = None,
        tally: EncodingTally | None = None,
    ) -> np.ndarray:
        """Vectors of ``texts`` (float32, ``(n, d)``, input order); identical texts encoded once.

        ``progress`` is started with the texts not found in the cache (and their tokens after
        truncation, when it counts them) and updated after each batch. ``tally`` counts texts, cache hits, truncation, tokens and time (see
        ``_encoding_stats``).
        """
        if not texts:
            return np.zeros((0, self.embed_dim or 0), dtype=np.float32)
        self.check_max_length(settings.max_length)
        unique = list(dict.fromkeys(texts))
        vectors: dict[str, np.ndarray] = {}
        namespace = settings.namespace()
        keys = {t: text_key(t) for t in unique}
        if cache is not None:
            hit = cache.get_many(namespace, list(keys.values()))
            by_key = {k: t for t, k in keys.items()}
            for k, v in hit.items():
                vectors[by_key[k]] = v
        todo = [t for t in unique if t not in vectors]
        if tally is not None:
            hits = {keys[t] for t in unique if t in vectors}
            tally.looked_up(len(texts), keys.values(), hits, settings.max_length)
        if not todo:
            progress = None
        if progress is not None:
            total_tokens = None
            if progress.counts_tokens:
                lengths = self.tokenizer(
                    todo, truncation=True, max_length=settings.max_length, return_length=True
                )["length"]
                total_tokens = int(sum(lengths))
            progress.start(len(todo), total_tokens)
        # Chunks of similar length (characters: a cheap proxy for tokens), each cached as soon
        # as it is done, so a long corpus interrupted late keeps what it has encoded.
        todo.sort(key=len, reverse=True)
        try:
            for start in range(0, len(todo), CACHE_CHUNK_TEXTS):
                chunk = todo[start : start + CACHE_CHUNK_TEXTS]
                fresh = self._forward_all(
                    chunk, settings=settings, batch_size=batch_size, progress=progress, tally=tally
                )
                new = dict(zip(chunk, fresh, strict=True))
                vectors.update(new)
                if cache is not None:
                    cache.put_many(namespace, {keys[t]: v for t, v in new.items()})
        finally:
            if progress is not None:
                progress.close()
        return np.stack([vectors[t] for t in texts]).astype(np.float32, copy=False)

    def _forward_all(
        self,
        texts: list[str],
        *,
        settings: EncodingSettings,
        batch_size: int,
        progress: Progress | None = None,
        tally: EncodingTally | None = None,
    ) -> list[np.ndarray]:
        """Encode unique texts, longest first; return vectors in the input order."""
        start = time.perf_counter()
        ids, batches = self.batch_plan(texts, settings=settings, batch_size=batch_size)
        token_ids = [[ids[i] for i in b] for b in batches]
        runner = _BATCH_RUNNER.get()
        if runner is None:
            vectors = self.forward_batches(token_ids, settings=settings, progress=progress)
        else:
            vectors = runner(self, token_ids, settings, progress)
        result: list[np.ndarray | None] = [None] * len(texts)
        for b, vecs in zip(batches, vectors, strict=True):
            for idx, vec in zip(b, vecs, strict=True):
                result[idx] = vec
        missing = [i for i, r in enumerate(result) if r is None]
        if missing:  # pragma: no cover - defensive: every index is in exactly one batch
            raise MtebkitError(f"internal error: {len(missing)} texts were not encoded")
        if tally is not None:  # timed before the truncation count, which is bookkeeping
            seconds = time.perf_counter() - start
            cut = count_truncated(self.tokenizer, texts, ids, settings.max_length)
            tally.forwarded(len(texts), sum(len(x) for x in ids), cut, seconds)
        return result  # type: ignore[return-value]

    def batch_plan(
        self, texts: Sequence[str], *, settings: EncodingSettings, batch_size: int
    ) -> tuple[list[list[int]], list[list[int]]]:
        """(token ids of each text, batches of text indices, longest first): what
        :meth:`forward_batches` runs. It depends on the texts and settings only, never on who
        runs the batches, so a sharded encode gives the same vectors as one process."""
        self.ensure_loaded()  # the first cache miss of a lazily built engine
        ids = self.token_ids(texts, settings)
        order = sorted(range(len(texts)), key=lambda i: -len(ids[i]))
        batches = token_batches(
            order,
            [len(x) for x in ids],
            max_tokens=batch_size * settings.max_length,
            max_texts=max_texts(batch_size, self.devices),
            # CPU: no padding, so a text's vector does not depend on its batch; GPUs keep
            # padded batches (their kernels depend on the batch shape anyway, and want size)
            same_length=all(_is_cpu(d) for d in self.devices),
        )
        return ids, batches

    def token_ids(self, texts: Sequence[str], settings: EncodingSettings) -> list[list[int]]:
        """Each text's token ids, truncated at ``settings.max_length`` (EOS included, when the
        settings append it)."""
        eos = self.tokenizer.eos_token_id if settings.append_eos else None
        if settings.append_eos and eos is None:
            raise MtebkitError(f"{self.path}: append_eos is set but the tokenizer has no EOS token")
        enc = self.tokenizer(
            list(texts),
            truncation=True,
            # room for the EOS, which ends a truncated text as it ends a short one
            max_length=settings.max_length - (eos is not None),
            padding=False,
            return_attention_mask=False,
            return_token_type_ids=False,
        )
        ids: list[list[int]] = enc["input_ids"]
        if eos is not None:  # a tokenizer that adds EOS itself does not get a second one
            ids = [x if x and x[-1] == eos else [*x, eos] for x in ids]
        return ids

    def forward_batches(
        self,
        batches: Sequence[list[list[int]]],
        *,
        settings: EncodingSettings,
        progress: Progress | None = None,
    ) -> list[np.ndarray]:
        """Vectors of batches of token ids (one ``(len(batch), d)`` array each, in order), the
        batches handed out in order to one worker per lane."""
        import torch

        self.ensure_loaded()  # a worker's engine may get batches without planning them

        out: list[np.ndarray | None] = [None] * len(batches)
        lanes, threads_per_lane = lanes_for(
            [d for d, _ in self._replicas],
            len(batches),
            cpu_lanes=self.cpu_lanes,
            cores=torch.get_num_threads(),
        )
        pending = iter(enumerate(batches))
        lock = threading.Lock()

        def work(replica: int) -> None:
            dev, model = self._replicas[replica]
            while True:
                with lock:
                    item = next(pending, None)
                if item is None:
                    return
                k, b = item
                out[k] = self._forward_batch(model, dev, b, settings)
                if progress is not None:
                    progress.update(len(b), sum(len(x) for x in b))

        if len(lanes) == 1:
            work(lanes[0])
        else:
            # one thread per lane: torch releases the GIL inside kernels
            errors: list[BaseException] = []

            def guarded(r: int) -> None:
                try:
                    work(r)
                except BaseException as exc:  # re-raised in the caller
                    errors.append(exc)
                    with lock:  # the other lanes stop after their current batch
                        for _ in pending:
                            pass

            with _torch_threads(threads_per_lane):
                threads = [threading.Thread(target=guarded, args=(r,)) for r in lanes]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
            if errors:
                raise errors[0]
        return out  # type: ignore[return-value]

    def _forward_batch(
        self,
        model: torch.nn.Module,
        device: str,
        batch_ids: list[list[int]],
        settings: EncodingSettings,
    ) -> np.ndarray:
        """One padded forward pass, split in halves on CUDA out-of-memory instead of failing.

        Vectors already computed are kept; the failing batch alone is retried in halves, and
        its padded size halved becomes this device's ceiling, so later batches are split
        before they run rather than failing one by one.
        """
        import torch

        padded = len(batch_ids) * max(len(x) for x in batch_ids)
        cap = self._oom_cap.get(device)
        if cap is not None and padded > cap and len(batch_ids) > 1:
            return self._forward_halves(model, device, batch_ids, settings)
        try:
            return self._forward_padded(model, device, batch_ids, settings)
        except torch.cuda.OutOfMemoryError:
            if device.startswith("cuda"):
                torch.cuda.empty_cache()
            if len(batch_ids) == 1:
                raise MtebkitError(
                    f"one text of {padded} tokens does not fit in memory on {device}; "
                    "lower max_length or use another device"
                ) from None
            self._oom_cap[device] = min(self._oom_cap.get(device, padded), padded // 2)
            logger.warning(
                "out of memory on %s at %d texts x %d tokens; splitting batches above %d tokens",
                device,
                len(batch_ids),
                padded // len(batch_ids),
                self._oom_cap[device],
            )
            return self._forward_halves(model, device, batch_ids, settings)

    def _forward_halves(
        self,
        model: torch.nn.Module,
        device: str,
        batch_ids: list[list[int]],
        settings: EncodingSettings,
    ) -> np.ndarray:
        half = len(batch_ids) // 2
        return np.concatenate(
            [
                self._forward_batch(model, device, batch_ids[:half], settings),
                self._forward_batch(model, device, batch_ids[half:], settings),
            ]
        )

    @staticmethod
    def _pad(
        batch_ids: list[list[int]], pad_id: int, left: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Padded ids and attention mask; ``left``: pads before the text (the tokenizer's
        ``padding_side``, which decoder models are often trained with)."""
        longest = max(len(x) for x in batch_ids)
        input_ids = np.full((len(batch_ids), longest), pad_id, dtype=np.int64)
        mask = np.zeros((len(batch_ids), longest), dtype=np.int64)
        for r, x in enumerate(batch_ids):
            cols = slice(longest - len(x), longest) if left else slice(0, len(x))
            input_ids[r, cols] = x
            mask[r, cols] = 1
        return input_ids, mask

    def _last_hidden(
        self, model: torch.nn.Module, device: str, batch_ids: list[list[int]]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The last hidden states ``(n, longest, h)`` of one padded batch, and its mask."""
        import torch

        pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        left = getattr(self.tokenizer, "padding_side", "right") == "left"
        input_ids, mask = self._pad(batch_ids, pad_id, left)
        ids_t = torch.from_numpy(input_ids).to(device)
        mask_t = torch.from_numpy(mask).to(device)
        out = model(input_ids=ids_t, attention_mask=mask_t, return_dict=True).last_hidden_state
        return out, mask_t

    def token_states(
        self, texts: Sequence[str], *, settings: EncodingSettings, batch_size: int
    ) -> tuple[list[list[int]], list[np.ndarray]]:
        """Each text's token ids and last hidden states (float32 ``(tokens, h)``, padding
        dropped), in input order, batched as :meth:`encode` batches: the token-level outputs
        that multi-vector and lexical heads (bge-m3) are computed from. Not cached, and one
        replica only (no lanes, no out-of-memory back-off)."""
        import torch

        self.check_max_length(settings.max_length)
        if not texts:
            return [], []
        ids, batches = self.batch_plan(texts, settings=settings, batch_size=batch_size)
        device, model = self._replicas[0]
        states: list[np.ndarray | None] = [None] * len(texts)
        with torch.inference_mode():
            for batch in batches:
                out, mask_t = self._last_hidden(model, device, [ids[i] for i in batch])
                hidden = out.float().cpu().numpy()
                keep = mask_t.cpu().numpy().astype(bool)
                for row, i in enumerate(batch):
                    states[i] = hidden[row][keep[row]]
        return ids, states  # type: ignore[return-value]  # every index is in one batch

    def _forward_padded(
        self,
        model: torch.nn.Module,
        device: str,
        batch_ids: list[list[int]],
        settings: EncodingSettings,
    ) -> np.ndarray:
        import torch

        with torch.inference_mode():
            out, mask_t = self._last_hidden(model, device, batch_ids)
            if settings.pooling == "cls":
                emb = out[:, 0]
            elif settings.pooling == "last_token":
                # each row's last real position, from the mask: right of its pads (left
                # padding) or before them (right padding); never position -1 blindly
                positions = torch.arange(mask_t.shape[1], device=mask_t.device)
                last = (mask_t * positions).argmax(dim=1)
                emb = out[torch.arange(out.shape[0], device=out.device), last]
            else:
                # summed in float32: a bfloat16 sum over hundreds of tokens loses digits
                m = mask_t.unsqueeze(-1).float()
                emb = (out.float() * m).sum(dim=1) / m.sum(dim=1).clamp(min=1e-9)
            emb = emb.float()
            if settings.normalize:
                emb = torch.nn.functional.normalize(emb, p=2, dim=-1)
            result: np.ndarray = emb.cpu().numpy()
            return result
