"""The one exception hierarchy of mtebkit.

MtebkitError
├── ConfigError            an option or a run file is invalid (names the option or the file)
│   └── SplitMissingError  --select-on names a split that some tasks lack (each named)
├── RegistryError          unknown or duplicate name in a registry ("did you mean ...")
│   ├── UnknownNameError
│   └── DuplicateNameError
├── ModelNotFoundError     a model could not be resolved offline (says where it looked)
├── ModelIntegrityError    shipped weights do not match their official checksum
├── UnsupportedModelError  a model's files name a pooling, module or architecture mtebkit cannot run
│   └── TokenizerMissingError  a model folder has no tokenizer vocabulary (names the files expected)
├── InputTextError         a text passed to encode is empty / None / not a string (names its position)
├── DataError              a dataset or task file is missing or malformed (names the file and row)
│   ├── MirrorMissingError a dataset is absent from the --data-dir mirror
│   └── HashMismatchError  a data file no longer matches its recorded content hash
├── TaskSpecError          a custom task spec is invalid (names the file)
├── ResultsError           a results folder or file cannot be used (names it)
├── CacheError             the embedding cache is busy, read-only, full or damaged (names it)
├── CheckpointError        a sweep's folder holds no usable checkpoint, or two of one step
└── EvaluationError        some tasks of a run failed (each named); the others were written
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CacheError",
    "CheckpointError",
    "ConfigError",
    "DataError",
    "DuplicateNameError",
    "EvaluationError",
    "HashMismatchError",
    "InputTextError",
    "MirrorMissingError",
    "ModelIntegrityError",
    "ModelNotFoundError",
    "MtebkitError",
    "RegistryError",
    "ResultsError",
    "ScoreMismatchError",
    "SplitMissingError",
    "TaskSpecError",
    "TokenizerMissingError",
    "UnknownNameError",
    "UnsupportedModelError",
]


class MtebkitError(Exception):
    """Base class of every error mtebkit raises on purpose."""


class ConfigError(MtebkitError, ValueError):
    """An option of a run is invalid: it names the option (and the run file, if any)."""


class SplitMissingError(ConfigError):
    """A sweep selects on a split that some of its tasks do not have.

    ``missing`` maps each such task to the splits it has.
    """

    def __init__(self, message: str, missing: dict[str, list[str]]) -> None:
        super().__init__(message)
        self.missing = missing


class RegistryError(MtebkitError):
    """A registry lookup or registration failed."""


class UnknownNameError(RegistryError, KeyError):
    """A name is not in a registry. The message suggests the closest names."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class DuplicateNameError(RegistryError):
    """A name was registered twice."""


class ModelNotFoundError(MtebkitError):
    """A model could not be found locally; the message says where we looked."""


class ModelIntegrityError(MtebkitError):
    """Model weights on disk do not match the expected checksum."""


class UnsupportedModelError(MtebkitError):
    """A model's files ask for what mtebkit does not implement (a pooling mode, a
    sentence-transformers module, an architecture): refused, never encoded another way."""


class TokenizerMissingError(UnsupportedModelError):
    """A model folder has no tokenizer vocabulary: nothing can be encoded or counted with it."""


class InputTextError(MtebkitError, ValueError):
    """A text given to the model is not a non-empty string."""


class DataError(MtebkitError):
    """A dataset file is missing or malformed."""


class MirrorMissingError(DataError):
    """A dataset is not present in the offline mirror."""


class HashMismatchError(DataError):
    """A data file's content hash differs from the recorded one."""


class TaskSpecError(MtebkitError):
    """A custom task spec (YAML) is invalid."""


class ResultsError(MtebkitError):
    """A results folder or result file cannot be used."""


class ScoreMismatchError(ResultsError):
    """A result file's main score is not the one its per-item scores give (an edited file,
    or items of another run)."""


class CacheError(MtebkitError):
    """The embedding cache cannot be used as asked (busy, read-only, full, damaged).

    ``kind`` is one of ``"busy"``, ``"readonly"``, ``"full"``, ``"corrupt"``, ``"error"``.
    """

    def __init__(self, message: str, kind: str = "error") -> None:
        super().__init__(message)
        self.kind = kind


class CheckpointError(MtebkitError):
    """A sweep cannot go on: its folder holds no checkpoint that can be evaluated, or two
    checkpoints claim the same step (each named)."""


class EvaluationError(MtebkitError):
    """One or more tasks of a run failed; the others' results were written.

    ``failures`` lists ``(task label, message)``; ``records`` holds what did finish.
    """

    def __init__(self, message: str, failures: list[tuple[str, str]], records: list[Any]) -> None:
        super().__init__(message)
        self.failures = failures
        self.records = records
