"""Bounded reads and clean text: what edu-clf reads is a regular file of bounded size with a UTF-8 name,
or stdin read with the same bound; decoded text loses NUL and other control characters (counted in a
warning), in reports and in the fields of JSONL/CSV records alike.

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
    """A regular file's (or stdin's, for `-`) bytes, refused by name when it is not a regular file, too big,
    or named in bytes that are not UTF-8."""
    if str(path) == "-":
        return read_stdin()
    check_name(path)
    check_regular(path)
    return Path(path).read_bytes()


def printable_name(path: str | Path) -> str:
    """A file name as text that any output can hold: bytes that are not UTF-8 (which Python keeps as
    surrogate escapes) shown as \\xNN."""
    name = str(path)
    if name.isascii():
        return name
    try:
        return os.fsencode(name).decode("utf-8", errors="backslashreplace")
    except UnicodeError:   # a lone surrogate that is no escaped byte
        return name.encode("utf-8", errors="backslashreplace").decode("ascii")


def check_name(path: str | Path) -> None:
    """Refuse an input whose file name is not UTF-8 (a GBK name from a Windows zip, say): its name becomes
    the doc_id and the path column, and edu-clf's outputs are UTF-8."""
    name = str(path)
    if name.isascii():
        return
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("the file name is not UTF-8 (names go into the doc_id and path columns, which are "
                         "UTF-8)", printable_name(path),
                         hint="rename the file to UTF-8, e.g. convmv -f gbk -t utf-8 --notest FILE") from None


# C0 and C1 controls and DEL, except tab, line feed and carriage return, go; a terminal escape sequence
# (CSI such as ESC [31m, OSC such as ESC ]0;title BEL, two-character escapes) goes whole, so that no
# "[31m" is left in the text; the sequences are bounded, so that a stray ESC never takes text with it.
# Form feed and vertical tab stand for line breaks (page breaks in converted documents).
_CONTROL = re.compile("\x1b\\[[0-?]{0,32}[ -/]{0,8}[@-~]|\x9b[0-?]{0,32}[ -/]{0,8}[@-~]"
                      "|\x1b\\][^\x07\x1b\n]{0,512}(?:\x07|\x1b\\\\)|\x1b[@-Z\\\\^_]"
                      "|[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_BREAKS = re.compile("[\x0b\x0c]")
_EITHER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> tuple[str, int]:
    """The decode-time rule: `text` with vertical tab and form feed as line breaks, terminal escape
    sequences and every other control character (NUL, ESC, BEL, DEL, C1 …; not tab, LF, CR) removed;
    and the number of characters removed."""
    if not _EITHER.search(text):
        return text, 0
    if _BREAKS.search(text):
        text = _BREAKS.sub("\n", text)
    cleaned = _CONTROL.sub("", text)
    return cleaned, len(text) - len(cleaned)


def clean_text(text: str, path: str | Path = "<text>") -> str:
    """`text` without NUL and other control characters; the count removed is a warning naming the file."""
    text, removed = strip_controls(text)
    if removed:
        warnings.warn(f"{path}: removed {removed} control character(s) (NUL, escape codes …) from the text",
                      EduClfWarning, stacklevel=2)
    return text


# Where a control character can hide in a JSON line's bytes: a \u00XX, \b or \f escape, a raw DEL, or a
# raw C1 character (UTF-8 C2 80 … C2 9F); JSON allows no other raw control character inside a string.
_JSON_CONTROL_MARKS = re.compile(rb"\\u00|\\b|\\f|\x7f|\xc2")


def may_hold_controls(line: bytes) -> bool:
    """False when the fields of this JSON line cannot hold a control character: one byte search, so
    that clean lines (nearly all of them) skip RemovedControls.clean. Single bytes first: memchr is
    ~50 times faster than a search for the escapes."""
    if b"\\" not in line and b"\x7f" not in line and b"\xc2" not in line:
        return False
    return _JSON_CONTROL_MARKS.search(line) is not None


class RemovedControls:
    """The decode-time rule for the string fields of one file's records (JSONL, CSV): each field cleaned
    by strip_controls, and one warning for the whole file (not one a line) from `warn`."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.removed = 0   # characters
        self.lines = 0     # lines (records) they were on
        self.first: int | None = None
        self._last: int | None = None

    def clean(self, value: str, line: int) -> str:
        cleaned, removed = strip_controls(value)
        if removed:
            self.removed += removed
            if line != self._last:
                self.lines += 1
                self._last = line
                self.first = line if self.first is None else self.first
        return cleaned

    def warn(self) -> None:
        if self.removed:
            warnings.warn(f"{self.path}: removed {self.removed} control character(s) (NUL, escape codes …) from "
                          f"{self.lines} line(s), the first line {self.first}", EduClfWarning, stacklevel=2)


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
