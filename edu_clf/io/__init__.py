"""Read reports as users have them: text in any common Chinese encoding, HTML, .docx.

Every reader returns plain text with `\n` line breaks; the segmenter takes it
from there. Encodings are detected from the bytes, never from the locale.
"""
from __future__ import annotations

import codecs
import os
import sys
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator
from xml.etree import ElementTree

from edu_clf.errors import InputError, UsageError

TEXT_SUFFIXES = (".txt", ".text", ".md")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
DOCX_SUFFIXES = (".docx",)
JSONL_SUFFIXES = (".jsonl",)
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + DOCX_SUFFIXES + JSONL_SUFFIXES


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
                             hint="convert it to .txt, .html or .docx (and name it so)")
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
    if candidates:
        score, enc, text = max(candidates, key=lambda c: c[0])
        if score >= 0.9:
            return DecodedText(text, enc)
    raise InputError("cannot decode the text: not UTF-8, UTF-16 or GB18030 (is it a binary file?)", path,
                     hint="save it as UTF-8 text, or pass the .docx/.html it came from")


class _TextExtractor(HTMLParser):
    """Visible text of an HTML page; block elements become line breaks."""

    BLOCK = {"p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
             "section", "article", "blockquote", "pre", "dd", "dt", "dl", "hr", "td", "th", "title",
             "main", "body", "center"}
    SKIP = {"script", "style", "noscript", "template", "nav", "head", "svg", "iframe", "select", "button"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.title_parts: list[str] = []
        self.in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        role = dict(attrs).get("role")
        if tag == "title":
            self.in_title = True
        if tag in self.SKIP or role == "navigation":
            if tag not in ("br", "hr"):
                self.skip_depth += 1
            return
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if tag in self.SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_parts.append(data)
        if self.skip_depth:
            return
        self.parts.append(data.replace("\r\n", " ").replace("\n", " ").replace("\r", " "))


def html_to_text(html: str) -> str:
    """Visible text of a page: scripts, styles, navigation dropped; blocks on their own lines."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [line.rstrip() for line in "".join(parser.parts).split("\n")]
    out: list[str] = []
    for line in lines:
        if line.strip() or (out and out[-1] != ""):
            out.append(line if line.strip() else "")
    return "\n".join(out).strip("\n") + "\n"


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _paragraph_text(p: ElementTree.Element) -> str:
    parts = []
    for node in p.iter():
        if node.tag == _W + "t" and node.text:
            parts.append(node.text)
        elif node.tag == _W + "tab":
            parts.append("\t")
        elif node.tag in (_W + "br", _W + "cr"):
            parts.append("\n")
    return "".join(parts)


def docx_to_text(data: bytes, path: str | Path = "<docx>") -> str:
    """Paragraphs of a .docx in document order; each table cell's paragraphs included."""
    import io as _io

    try:
        with zipfile.ZipFile(_io.BytesIO(data)) as archive:
            xml = archive.read("word/document.xml")
    except zipfile.BadZipFile:
        raise InputError("not a valid .docx (not a zip archive)", path,
                         hint="open it in Word and save as .docx, or save as .txt") from None
    except KeyError:
        raise InputError("not a valid .docx (no word/document.xml inside)", path) from None
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise InputError(f"broken .docx: {exc}", path) from None
    body = root.find(_W + "body")
    lines: list[str] = []

    def walk(node: ElementTree.Element) -> None:
        for child in node:
            if child.tag == _W + "p":
                lines.append(_paragraph_text(child))
            elif child.tag in (_W + "tbl", _W + "tr", _W + "tc", _W + "sdt", _W + "sdtContent"):
                walk(child)

    walk(body if body is not None else root)
    return "\n".join(lines) + "\n"


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
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    raise InputError(f"unsupported file type {suffix or '(no extension)'!r}", path,
                     hint=f"supported: {', '.join(SUPPORTED_SUFFIXES)}")


def read_bytes(path: str | Path) -> bytes:
    """Read a file's bytes, turning OS errors into messages that name the file."""
    if str(path) == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
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
    decoded = decode_bytes(data, path)
    text = normalize_newlines(decoded.text)
    if kind == "html":
        text = html_to_text(text)
    elif kind == "txt" and text.lstrip()[:15].lower().startswith(("<!doctype html", "<html")):
        text = html_to_text(text)
        kind = "html"
    return RawReport(str(path), kind, text, decoded.encoding, decoded.warning)


def read_report(path: str | Path, kind: str | None = None) -> RawReport:
    """Read one report file (or `-` for stdin, read as text) into normalized text."""
    kind = kind or ("txt" if str(path) == "-" else report_kind(path))
    return decode_report(read_bytes(path), kind, path)


FOLDER_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + DOCX_SUFFIXES


def iter_input_paths(inputs: list[str] | tuple[str, ...], suffixes: tuple[str, ...] = FOLDER_SUFFIXES) -> Iterator[str]:
    """Expand INPUT arguments: files as given, folders recursively (sorted), `-` for stdin.

    Inside folders only reports are taken (.txt, .html, .docx): a folder of
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
            yield from _walk(path, suffixes, seen)
        elif path.exists():
            yield str(path)
        elif path.is_symlink():
            raise InputError("broken symbolic link", path)
        else:
            raise UsageError("no such file or folder", path)


def _walk(folder: Path, suffixes: tuple[str, ...], seen: set[tuple[int, int]]) -> Iterator[str]:
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
        if is_dir:
            yield from _walk(path, suffixes, seen)
        elif path.suffix.lower() in suffixes:
            yield str(path)
