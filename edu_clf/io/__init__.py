"""Read reports as users have them: text in any common Chinese encoding, HTML, .docx.

Every reader returns plain text with `\n` line breaks; the segmenter takes it
from there. Encodings are detected from the bytes, never from the locale.
"""
from __future__ import annotations

import codecs
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from edu_clf.errors import InputError, UsageError

TEXT_SUFFIXES = (".txt", ".text", ".md")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
DOCX_SUFFIXES = (".docx",)
PDF_SUFFIXES = (".pdf",)
DOC_SUFFIXES = (".doc", ".wps")   # old Word and WPS files: edu_clf/io/doc.py (a converter tool on PATH)
JSONL_SUFFIXES = (".jsonl",)
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + DOCX_SUFFIXES + PDF_SUFFIXES + DOC_SUFFIXES + JSONL_SUFFIXES


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    warning: str | None = None


def normalize_newlines(text: str) -> str:
    """The normalized source: CRLF and CR become LF; nothing else changes."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _plausibility(text: str) -> float:
    """Share of characters that a Chinese report plausibly contains."""
    if not text:
        return 0.0
    good = 0
    for ch in text:
        o = ord(ch)
        if (0x4E00 <= o <= 0x9FFF or 0x20 <= o < 0x7F or ch in "\n\r\t" or 0x3000 <= o <= 0x303F
                or 0xFF00 <= o <= 0xFFEF or 0x2000 <= o <= 0x206F or o in (0xA0, 0xB7)):
            good += 1
    return good / len(text)


BINARY_SIGNATURES = {b"PK\x03\x04": "a ZIP archive (a .docx saved under another name?)", b"%PDF": "a PDF",
                     b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
                     b"\xd0\xcf\x11\xe0": "an old Word/Office file (.doc)", b"\x1f\x8b": "a gzip archive",
                     b"Rar!": "a RAR archive", b"7z\xbc\xaf": "a 7-Zip archive"}


def decode_bytes(data: bytes, path: str | Path = "<bytes>") -> DecodedText:
    """Decode report bytes: BOMs first, then UTF-8, then UTF-16 without BOM, then GB18030."""
    for magic, what in BINARY_SIGNATURES.items():
        if data.startswith(magic):
            raise InputError(f"this is {what}, not text", path,
                             hint="name it by its type (.pdf, .docx, .doc) or convert it to .txt or .html")
    if data.startswith(codecs.BOM_UTF8):
        return DecodedText(data[3:].decode("utf-8", errors="replace"), "utf-8-sig")
    if data.startswith(codecs.BOM_UTF32_LE) or data.startswith(codecs.BOM_UTF32_BE):
        return DecodedText(data.decode("utf-32", errors="replace"), "utf-32")
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return DecodedText(data.decode("utf-16", errors="replace"), "utf-16")
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return DecodedText(data[: exc.start].decode("utf-8"), "utf-8",
                               warning=f"the file ends inside a character (truncated?); dropped the last {len(data) - exc.start} byte(s)")
        replaced = _utf8_with_few_bad_bytes(data, exc.start)
        if replaced is not None:
            return replaced
    candidates = []
    if len(data) % 2 == 0:
        for enc in ("utf-16-le", "utf-16-be"):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                continue
            candidates.append((_plausibility(text), enc, text))
    try:
        text = data.decode("gb18030")
        candidates.append((_plausibility(text), "gb18030", text))
    except UnicodeDecodeError:
        pass
    big5 = _big5_rather_than_gb(data, candidates)
    if big5 is not None:
        return big5
    if candidates:
        score, enc, text = max(candidates, key=lambda c: c[0])
        if score >= 0.9:
            return DecodedText(text, enc)
    raise InputError("cannot decode the text: not UTF-8, UTF-16, GB18030 or Big5 (is it a binary file?)", path,
                     hint="save it as UTF-8 text, or pass the .docx/.html it came from")


MAX_BAD_UTF8 = 16   # a UTF-8 file with at most this many bad bytes (or 1 in 1000) is read with replacement


def _utf8_with_few_bad_bytes(data: bytes, first_bad: int) -> DecodedText | None:
    """UTF-8 with a few invalid bytes (a damaged copy): read with U+FFFD in their place, and say so."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode("utf-8"))
    if bad > max(MAX_BAD_UTF8, len(data) // 1000) or bad > max(1, len(text) // 100):
        return None   # not a damaged UTF-8 file: another encoding
    return DecodedText(text, "utf-8", warning=f"{bad} invalid UTF-8 byte sequence(s) replaced by U+FFFD "
                                                  f"(the first at byte {first_bad})")


def _big5_rather_than_gb(data: bytes, candidates: list) -> DecodedText | None:
    """Big5 (traditional) bytes also decode as GB18030, into rare characters: when most of the Chinese
    read as GB18030 is outside GB2312's common set and the bytes are valid Big5, they are Big5."""
    gb = next((text for _, enc, text in candidates if enc == "gb18030"), None)
    han = [ch for ch in (gb or "")[:20000] if "\u4e00" <= ch <= "\u9fff"]
    if gb is not None and han:
        common = sum(1 for ch in han if _in_gb2312(ch))
        if common >= 0.9 * len(han):
            return None
    for enc in ("big5hkscs", "cp950"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _plausibility(text) >= 0.9:
            return DecodedText(text, "big5" if enc == "big5hkscs" else enc)
    return None


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def html_to_text(html: str) -> str:
    """Report text of a saved page (edu_clf/io/html.py: lxml parse, furniture dropped, title first)."""
    from edu_clf.io.html import html_to_text as page_text

    return page_text(html)


def docx_to_text(data: bytes, path: str | Path = "<docx>") -> str:
    """Paragraphs of a .docx as Word shows them (edu_clf/io/docx.py: numbering, text boxes, tables, limits)."""
    from edu_clf.io.docx import docx_to_text as word_text

    return word_text(data, path)


@dataclass(frozen=True)
class RawReport:
    """A report as read from disk: `text` for reports, `path` kept for messages."""

    path: str
    kind: str          # "txt", "html", "docx", "jsonl"
    text: str
    encoding: str | None = None
    warning: str | None = None


def report_kind(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return "txt"
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in DOCX_SUFFIXES:
        return "docx"
    if suffix in PDF_SUFFIXES:
        return "pdf"
    if suffix in DOC_SUFFIXES:
        return "doc"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    raise InputError(f"unsupported file type {suffix or '(no extension)'!r}", path,
                     hint=f"supported: {', '.join(SUPPORTED_SUFFIXES)}")


def read_bytes(path: str | Path) -> bytes:
    """Read a file's bytes, turning OS errors into messages that name the file."""
    from edu_clf.io.limits import read_limited

    try:
        return read_limited(path)  # regular files (or stdin) within [limits] max_input_bytes only
    except FileNotFoundError:
        raise UsageError("no such file", path) from None
    except IsADirectoryError:
        raise UsageError("is a folder, not a file", path) from None
    except PermissionError:
        raise InputError("permission denied", path, hint="check the file's permissions") from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path) from None


def decode_report(data: bytes, kind: str, path: str | Path) -> RawReport:
    """Turn the bytes of a report of a known kind into text."""
    if kind == "docx":
        return RawReport(str(path), kind, normalize_newlines(docx_to_text(data, path)))
    if kind == "pdf":
        from edu_clf.io.pdf import pdf_to_text

        return RawReport(str(path), kind, normalize_newlines(pdf_to_text(data, path)))
    if kind == "doc":
        from edu_clf.io.doc import doc_to_text

        return RawReport(str(path), kind, normalize_newlines(doc_to_text(data, path)))
    if kind == "html":
        from edu_clf.io.html import read_html

        page = read_html(data, path)   # the declared charset, checked against the bytes
        return RawReport(str(path), kind, page.text, page.encoding, page.warning)
    decoded = decode_bytes(data, path)
    text = normalize_newlines(decoded.text)
    if kind == "txt" and text.lstrip()[:15].lower().startswith(("<!doctype html", "<html")):
        text = html_to_text(text)
        kind = "html"
    return RawReport(str(path), kind, text, decoded.encoding, decoded.warning)


def read_report(path: str | Path, kind: str | None = None) -> RawReport:
    """Read one report file (or `-` for stdin, read as text) into normalized text."""
    from dataclasses import replace

    from edu_clf.io.limits import clean_text

    kind = kind or ("txt" if str(path) == "-" else report_kind(path))
    report = decode_report(read_bytes(path), kind, path)
    text = clean_text(report.text, path)  # NUL and other control characters go, counted in a warning
    return report if text is report.text else replace(report, text=text)


FOLDER_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + DOCX_SUFFIXES + PDF_SUFFIXES + DOC_SUFFIXES


def iter_input_paths(inputs: list[str] | tuple[str, ...], suffixes: tuple[str, ...] = FOLDER_SUFFIXES) -> Iterator[str]:
    """Expand INPUT arguments: files as given, folders recursively (sorted), `-` for stdin.

    Inside folders only reports are taken (.txt, .html, .docx, .pdf, .doc, .wps;
    every other file is named in a warning saying why it is skipped): a folder of
    reports often holds label or item files too, which would double every item;
    name a .jsonl file explicitly to label its items. A file named explicitly is
    passed on, so that its reader can say why it is not supported.
    """
    for given in inputs:
        if given == "-":
            yield "-"
            continue
        path = Path(given)
        if path.is_dir():
            seen: set[tuple[int, int]] = set()
            yield from _walk(path, suffixes, seen, path.resolve())
        elif path.exists():
            yield str(path)
        elif path.is_symlink():
            raise InputError("broken symbolic link", path)
        else:
            raise UsageError("no such file or folder", path)


def _outside(path: Path, root: Path) -> Path | None:
    """Where a symbolic link inside the walked folder points, when that is outside `root`."""
    try:
        target = path.resolve()
    except (OSError, RuntimeError):
        return path
    return None if target == root or root in target.parents else target


def _walk(folder: Path, suffixes: tuple[str, ...], seen: set[tuple[int, int]], root: Path) -> Iterator[str]:
    try:
        stat = folder.stat()
    except OSError as exc:
        raise InputError(f"cannot open folder: {exc.strerror}", folder) from None
    key = (stat.st_dev, stat.st_ino)
    if key in seen:
        return  # a symlink loop: this folder is already being walked
    seen.add(key)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except PermissionError:
        raise InputError("permission denied", folder, hint="check the folder's permissions") from None
    for entry in entries:
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()
        except OSError:
            continue
        if entry.is_symlink() and (is_dir or path.suffix.lower() in suffixes):
            target = _outside(path, root)
            if target is not None:  # a link out of the given folder (/etc/passwd, /dev/zero …) is never read
                import warnings

                from edu_clf.errors import SkippedFileWarning
                warnings.warn(SkippedFileWarning(f"{path}: symbolic link to {target}, outside {root}; skipped", path,
                                                 "a link out of the folder"), stacklevel=2)
                continue
        if is_dir:
            yield from _walk(path, suffixes, seen, root)
        elif path.suffix.lower() in suffixes and not entry.name.startswith("~$"):
            yield str(path)
        else:
            _warn_skipped(path, suffixes)


def _warn_skipped(path: Path, suffixes: tuple[str, ...]) -> None:
    """A file in a walked folder that is not read is named, with why: never skipped silently."""
    import warnings

    from edu_clf.errors import SkippedFileWarning

    if path.name.startswith("~$"):
        reason, why = "a lock file", "a Word/WPS lock file (the document is open in an editor)"
    elif path.suffix.lower() in JSONL_SUFFIXES:
        reason, why = ".jsonl not named", "items or labels (.jsonl) are read only when named explicitly"
    else:
        reason = "unsupported type"
        why = f"not a report type ({path.suffix.lower() or 'no extension'}; folders take {', '.join(suffixes)})"
    warnings.warn(SkippedFileWarning(f"{path}: skipped: {why}", path, reason), stacklevel=3)
