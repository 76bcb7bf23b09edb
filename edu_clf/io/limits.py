"""Bounded reads and clean text: what edu-clf reads is a regular file of bounded size, or stdin read
with the same bound; decoded text loses NUL and other control characters (counted in a warning).

The limits come from the [limits] table of configs/segment.toml (edu_clf.config.LimitsConfig).
"""
from __future__ import annotations

import os
import re
import stat
import sys
import warnings
import zipfile
from pathlib import Path
from typing import BinaryIO

from edu_clf.config import load_limits
from edu_clf.errors import EduClfWarning, InputError, ModelError, UsageError

_KINDS = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a pipe (FIFO)"),
          (stat.S_ISSOCK, "a socket"))


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MiB" if n >= 1024 * 1024 else f"{n} bytes"


def check_regular(path: str | Path, max_bytes: int | None = None) -> os.stat_result:
    """Refuse, by name and without opening it, anything that is not a regular file of at most `max_bytes`."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise InputError("broken symbolic link", path) from None
        raise UsageError("no such file", path) from None
    except PermissionError:
        raise InputError("permission denied", path, hint="check the file's permissions") from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path) from None
    if stat.S_ISDIR(st.st_mode):
        raise UsageError("is a folder, not a file", path)
    for test, what in _KINDS:
        if test(st.st_mode):
            raise InputError(f"is {what}, not a regular file; refusing to read it", path,
                             hint="copy the data into a file first")
    limit = load_limits().max_input_bytes if max_bytes is None else max_bytes
    if st.st_size > limit:
        raise InputError(f"is {_mib(st.st_size)}, larger than the limit of {_mib(limit)}", path,
                         hint="split it, or raise [limits] max_input_bytes in configs/segment.toml")
    return st


def read_stdin(max_bytes: int | None = None) -> bytes:
    """Standard input's bytes, at most `max_bytes` (a larger stream is refused, not truncated)."""
    if sys.stdin is None:
        raise UsageError("standard input is closed", "-", hint="give a file instead of -")
    limit = load_limits().max_input_bytes if max_bytes is None else max_bytes
    stream: BinaryIO = getattr(sys.stdin, "buffer", sys.stdin)
    try:
        data = stream.read(limit + 1)
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read standard input: {getattr(exc, 'strerror', None) or exc}", "-") from None
    if isinstance(data, str):
        data = data.encode("utf-8", errors="surrogateescape")
    if len(data) > limit:
        raise InputError(f"standard input is larger than the limit of {_mib(limit)}", "-",
                         hint="write it to a file and split it, or raise [limits] max_input_bytes")
    return data


def read_limited(path: str | Path) -> bytes:
    """A regular file's (or stdin's, for `-`) bytes, refused by name when it is not a regular file or too big."""
    if str(path) == "-":
        return read_stdin()
    check_regular(path)
    return Path(path).read_bytes()


# C0 and C1 controls and DEL, except tab, line feed and carriage return; form feed and vertical tab
# stand for line breaks (page breaks in converted documents).
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_BREAKS = re.compile("[\x0b\x0c]")


def clean_text(text: str, path: str | Path = "<text>") -> str:
    """`text` without NUL and other control characters; the count removed is a warning naming the file."""
    if _BREAKS.search(text):
        text = _BREAKS.sub("\n", text)
    if not _CONTROL.search(text):
        return text
    text, removed = _CONTROL.subn("", text)
    warnings.warn(f"{path}: removed {removed} control character(s) (NUL, escape codes …) from the text",
                  EduClfWarning, stacklevel=2)
    return text


def check_unpacked_size(path: str | Path, limit: int, broken: str = "not an edu-clf model (broken or truncated skops file)") -> None:
    """Refuse, before loading, a zip whose members unpack to more than `limit` bytes (a zip bomb).

    zipfile never returns more than a member's declared size (and checks its CRC), so the declared
    sizes bound what loading can unpack. `broken` is the error for a file that is no zip at all.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ModelError(broken, path) from None
    if total > limit:
        raise ModelError(f"refusing to load: its members unpack to {total / 2**20:.0f} MiB, over the limit of "
                         f"{limit / 2**20:.0f} MiB (a zip bomb?)", path,
                         hint="raise [limits] max_model_bytes in configs/segment.toml if you trust the file")
