"""Typed errors: each names the file (and line) and says what to do.

The CLI turns them into one line on stderr and an exit code: 2 for usage
errors (a bad option, a missing path), 1 for data errors (a file that cannot
be read or parsed, a model that fails its checks).
"""
from __future__ import annotations

from pathlib import Path


class EduClfError(Exception):
    """Base class of every error edu-clf reports to a user."""

    exit_code = 1

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None,
                 hint: str | None = None) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.hint = hint
        super().__init__(self.describe())

    def describe(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line is not None else f"{self.path}: "
        text = f"{where}{self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class UsageError(EduClfError):
    """The command line asks for something impossible: wrong option, missing path."""

    exit_code = 2


class InputError(EduClfError):
    """A report cannot be read: unknown type, undecodable bytes, broken container."""


class DataError(EduClfError):
    """Labeled data is malformed or does not match the label schema."""


class ConfigError(EduClfError):
    """A config file is missing, malformed, or has an unknown key."""


class ModelError(EduClfError):
    """A model file is missing, not a model, untrusted, or fails its metadata checks."""


class EduClfWarning(UserWarning):
    """Something a user should know that does not stop the run (the CLI prints one line)."""


class SkippedFileWarning(EduClfWarning):
    """A file in a walked folder that is not read: `path`, and `reason` in a few words (counted in errors)."""

    def __init__(self, message: str, path: str | Path, reason: str) -> None:
        super().__init__(message)
        self.path = str(path)
        self.reason = reason


class Terminated(BaseException):
    """SIGTERM arrived: like KeyboardInterrupt for SIGINT, it unwinds the run (temp files removed)."""

    exit_code = 143
