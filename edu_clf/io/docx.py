""".docx → text, one paragraph a line, as Word shows it.

- Automatic numbering is rendered from word/numbering.xml (and paragraph
  styles that carry it), in Word's formats: chineseCounting → 一, decimal → 1,
  decimalEnclosedCircle → ①, inside each level's lvlText (`%1、`, `（%2）`), so
  numbered paragraphs keep their 一、 / （一） / 1. markers.
- Runs are read as they stand after tracked changes: w:ins, w:customXml,
  w:smartTag, w:hyperlink, w:sdt kept; w:del, w:moveFrom and field codes dropped.
- A text box is read once: of an mc:AlternateContent only its first mc:Choice
  (or, without one, its mc:Fallback); the box's paragraphs follow the paragraph
  that anchors it.
- A table is one block of its own: one line, cells joined by `｜`, rows by `；`
  (configs/read.toml [docx]), never a paragraph per cell. A table used as a
  frame (no row with two filled cells) gives the paragraphs it holds.
- The end matter of an official document (抄送, 印发, the attachment list) is
  dropped ([layout] end_matter).

The file is hostile until proven otherwise: XML with a DOCTYPE (XXE, billion
laughs) is refused, and so are encrypted members, unusual compression, and
members (or a whole archive) that inflate past [limits] of configs/read.toml.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree
from xml.parsers import expat

from edu_clf.config import ReadConfig, load_read_config
from edu_clf.errors import InputError
from edu_clf.io.layout import compile_layout

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Elements whose text is not part of the document as shown.
_SKIP = {W + n for n in ("del", "moveFrom", "instrText", "delInstrText", "delText", "pPr", "rPr", "tblPr",
                         "tcPr", "trPr", "sectPr", "footnoteReference", "endnoteReference", "commentReference",
                         "fldData", "bookmarkStart", "bookmarkEnd")}


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MiB" if n >= 1024 * 1024 else f"{n} bytes"


# ---------------------------------------------------------------- safe reading


class _Hostile(Exception):
    pass


def parse_xml(data: bytes, name: str, path: str | Path) -> ElementTree.Element:
    """Parse one XML member with expat, refusing any DOCTYPE (so no entities: no XXE, no billion laughs)."""
    builder = ElementTree.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")

    def qname(tag: str) -> str:
        return "{" + tag if "}" in tag else tag

    def start(tag: str, attrs: dict[str, str]) -> None:
        builder.start(qname(tag), {qname(k): v for k, v in attrs.items()})

    def refuse(*_args) -> None:
        raise _Hostile("it declares a DOCTYPE or entities, which Word never writes (an XXE or billion-laughs attack?)")

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: builder.end(qname(tag))
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
        return builder.close()
    except _Hostile as exc:
        raise InputError(f"refused {name}: {exc}", path) from None
    except expat.ExpatError as exc:
        raise InputError(f"broken .docx: {name}: {exc}", path,
                         hint="open it in Word or WPS and save it again as .docx") from None


class _Archive:
    """The members of a .docx, each read at most once, within the configured limits."""

    def __init__(self, data: bytes, path: str | Path, config: ReadConfig) -> None:
        self.path = path
        self.limits = config.limits
        if data.startswith(OLE_SIGNATURE):
            raise InputError("not a .docx: an encrypted (password-protected) Word file or an old .doc "
                             "renamed to .docx", path,
                             hint="open it in Word or WPS, remove the password, and save as .docx")
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
            raise InputError("not a valid .docx (not a zip archive)", path,
                             hint="open it in Word and save as .docx, or save as .txt") from None
        declared = sum(info.file_size for info in infos)
        if declared > self.limits.max_decompressed_bytes:
            raise InputError(f"the .docx declares {_mib(declared)} unpacked, over the limit of "
                             f"{_mib(self.limits.max_decompressed_bytes)} (a zip bomb?)", path,
                             hint="raise [limits] max_decompressed_bytes in configs/read.toml if the file is trusted")
        self.names = {info.filename: info for info in infos}

    def read(self, name: str) -> bytes | None:
        info = self.names.get(name)
        if info is None:
            return None
        limit = self.limits.max_member_bytes
        if info.flag_bits & 0x1:
            raise InputError(f"the .docx member {name} is encrypted", self.path,
                             hint="open it in Word or WPS, remove the password, and save as .docx")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise InputError(f"the .docx member {name} uses an unusual compression (method {info.compress_type})",
                             self.path, hint="open it in Word or WPS and save it again as .docx")
        if info.file_size > limit:
            raise InputError(f"the .docx member {name} declares {_mib(info.file_size)} unpacked, over the limit "
                             f"of {_mib(limit)} (a zip bomb?)", self.path,
                             hint="raise [limits] max_member_bytes in configs/read.toml if the file is trusted")
        try:
            with self.zip.open(info) as member:
                data = member.read(limit + 1)   # never more than the limit, whatever the header says
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, RuntimeError, NotImplementedError) as exc:
            raise InputError(f"broken .docx: cannot unpack {name} ({exc})", self.path,
                             hint="open it in Word or WPS and save it again as .docx") from None
        if len(data) > limit:
            raise InputError(f"the .docx member {name} unpacks past the limit of {_mib(limit)} (a zip bomb?)",
                             self.path)
        return data


# ---------------------------------------------------------------- numbering

_CN = "零一二三四五六七八九"
_CN_LEGAL = "零壹贰叁肆伍陆柒捌玖"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_TIANGAN = "甲乙丙丁戊己庚辛壬癸"
_DIZHI = "子丑寅卯辰巳午未申酉戌亥"


def _chinese(n: int, digits: str = _CN, ten: str = "十", hundred: str = "百") -> str:
    """Chinese counting numeral: 一 … 十, 十一, 二十, 一百零五 (as Word's chineseCounting writes them)."""
    if n <= 0 or n >= 1000:
        return str(n)
    h, rest = divmod(n, 100)
    t, u = divmod(rest, 10)
    out = ""
    if h:
        out += digits[h] + hundred
        if rest and t == 0:
            out += digits[0]
    if t:
        out += (digits[t] if (t > 1 or h) else "") + ten
    if u:
        out += digits[u]
    return out


def _roman(n: int) -> str:
    if n <= 0 or n >= 4000:
        return str(n)
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + letters, n - value
    return out


def _letter(n: int) -> str:
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n > 0 else str(n)


def format_number(n: int, fmt: str) -> str:
    """One level's number in Word's w:numFmt (unknown formats as decimal)."""
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting",
               "koreanCounting", "taiwaneseCountingThousand", "ideographDigital", "japaneseDigitalTenThousand"):
        return _chinese(n)
    if fmt in ("chineseLegalSimplified", "japaneseLegal"):
        return _chinese(n, _CN_LEGAL, "拾", "佰")
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese", "ideographEnclosedCircle"):
        return _CIRCLED[n - 1] if 1 <= n <= len(_CIRCLED) else f"({n})"
    if fmt == "decimalEnclosedParen":        # ⑴ ⑵ …: the same marker as （1）
        return f"（{n}）"
    if fmt == "decimalEnclosedFullstop":     # ⒈ ⒉ …: the same marker as 1.
        return f"{n}."
    if fmt in ("decimalFullWidth", "decimalFullWidth2"):
        return "".join(chr(ord(c) + 0xFEE0) for c in str(n))
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt == "ideographTraditional":
        return _TIANGAN[(n - 1) % 10] if n > 0 else str(n)
    if fmt == "ideographZodiac":
        return _DIZHI[(n - 1) % 12] if n > 0 else str(n)
    if fmt == "lowerLetter":
        return _letter(n)
    if fmt == "upperLetter":
        return _letter(n).upper()
    if fmt == "lowerRoman":
        return _roman(n).lower()
    if fmt == "upperRoman":
        return _roman(n)
    if fmt in ("bullet", "none"):
        return ""
    return str(n)


@dataclass(frozen=True)
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = "%1."
    suffix: str = "tab"
    legal: bool = False


@dataclass
class Numbering:
    """numbering.xml and the numbering carried by paragraph styles, with Word's counters."""

    abstract: dict[str, dict[int, _Level]] = field(default_factory=dict)
    nums: dict[str, tuple[str, dict[int, _Level | None], dict[int, int]]] = field(default_factory=dict)
    styles: dict[str, tuple[str | None, int | None]] = field(default_factory=dict)
    counters: dict[str, dict[int, int]] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)

    @classmethod
    def parse(cls, numbering: ElementTree.Element | None, styles: ElementTree.Element | None) -> "Numbering":
        self = cls()
        if numbering is not None:
            for node in numbering.iter(W + "abstractNum"):
                self.abstract[node.get(W + "abstractNumId", "")] = {
                    int(lvl.get(W + "ilvl", "0") or 0): _level(lvl) for lvl in node.iter(W + "lvl")}
            for node in numbering.iter(W + "num"):
                ref = node.find(W + "abstractNumId")
                overrides: dict[int, _Level | None] = {}
                starts: dict[int, int] = {}
                for over in node.iter(W + "lvlOverride"):
                    ilvl = _int(over.get(W + "ilvl"), 0)
                    start = over.find(W + "startOverride")
                    if start is not None:
                        starts[ilvl] = _int(start.get(W + "val"), 1)
                    lvl = over.find(W + "lvl")
                    overrides[ilvl] = _level(lvl) if lvl is not None else None
                self.nums[node.get(W + "numId", "")] = (ref.get(W + "val", "") if ref is not None else "",
                                                        overrides, starts)
        if styles is not None:
            raw: dict[str, tuple[str | None, str | None, int | None]] = {}
            for style in styles.iter(W + "style"):
                num_id, ilvl = _num_pr(style.find(W + "pPr"))
                based = style.find(W + "basedOn")
                raw[style.get(W + "styleId", "")] = (based.get(W + "val") if based is not None else None,
                                                     num_id, ilvl)
            for sid in raw:
                num_id, ilvl, seen, cur = None, None, set(), sid
                while cur in raw and cur not in seen:   # inherit along basedOn
                    seen.add(cur)
                    based, n, i = raw[cur]
                    num_id = num_id if num_id is not None else n
                    ilvl = ilvl if ilvl is not None else i
                    cur = based
                if num_id is not None:
                    self.styles[sid] = (num_id, ilvl)
        return self

    def level(self, num_id: str, ilvl: int) -> _Level | None:
        if num_id not in self.nums:
            return None
        abstract_id, overrides, _ = self.nums[num_id]
        if overrides.get(ilvl) is not None:
            return overrides[ilvl]
        return self.abstract.get(abstract_id, {}).get(ilvl)

    def marker(self, ppr: ElementTree.Element | None) -> str:
        """The rendered marker of a paragraph (advancing Word's counters), or ''."""
        num_id, ilvl = _num_pr(ppr)
        style = ppr.find(W + "pStyle") if ppr is not None else None
        if style is not None and style.get(W + "val") in self.styles:
            s_num, s_ilvl = self.styles[style.get(W + "val")]
            num_id = num_id if num_id is not None else s_num
            ilvl = ilvl if ilvl is not None else s_ilvl
        if num_id is None or num_id == "0" or num_id not in self.nums:
            return ""
        ilvl = ilvl or 0
        lvl = self.level(num_id, ilvl)
        if lvl is None:
            return ""
        abstract_id, _, starts = self.nums[num_id]
        counter = self.counters.setdefault(abstract_id, {})   # lists of one abstract numbering continue
        if num_id not in self.used:
            self.used.add(num_id)
            for level, start in starts.items():               # …unless the list restarts them
                counter[level] = start - 1
                for deeper in [k for k in counter if k > level]:
                    del counter[deeper]
        counter[ilvl] = counter[ilvl] + 1 if ilvl in counter else lvl.start
        for deeper in [k for k in counter if k > ilvl]:
            del counter[deeper]
        text = lvl.text
        for k in range(9, -1, -1):
            token = f"%{k + 1}"
            if token in text:
                other = self.level(num_id, k) or _Level()
                value = counter.get(k, other.start)
                text = text.replace(token, format_number(value, "decimal" if lvl.legal and k != ilvl
                                                         else other.fmt))
        if not text:
            return ""
        if lvl.suffix != "nothing" and not text.endswith(("、", ".", "．", ")", "）", "：", ":")) \
                and text[-1] not in _CIRCLED:
            text += " "
        return text


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _val(node: ElementTree.Element | None, default: str = "") -> str:
    return node.get(W + "val", default) if node is not None else default


def _level(lvl: ElementTree.Element) -> _Level:
    return _Level(start=_int(_val(lvl.find(W + "start"), "1"), 1),
                  fmt=_val(lvl.find(W + "numFmt"), "decimal"),
                  text=_val(lvl.find(W + "lvlText"), ""),
                  suffix=_val(lvl.find(W + "suff"), "tab"),
                  legal=lvl.find(W + "isLgl") is not None and _val(lvl.find(W + "isLgl"), "1") not in ("0", "false"))


def _num_pr(ppr: ElementTree.Element | None) -> tuple[str | None, int | None]:
    if ppr is None:
        return None, None
    num_pr = ppr.find(W + "numPr")
    if num_pr is None:
        return None, None
    num_id = num_pr.find(W + "numId")
    ilvl = num_pr.find(W + "ilvl")
    return (_val(num_id) if num_id is not None else None,
            _int(_val(ilvl), 0) if ilvl is not None else None)


# ---------------------------------------------------------------- body


class _Body:
    def __init__(self, numbering: Numbering, config: ReadConfig) -> None:
        self.numbering = numbering
        self.cell_sep = config.docx.table_cell_separator
        self.row_sep = config.docx.table_row_separator
        self.lines: list[str] = []

    def blocks(self, node: ElementTree.Element, out: list[str]) -> None:
        for child in node:
            tag = child.tag
            if tag == W + "p":
                self.paragraph(child, out)
            elif tag == W + "tbl":
                out.extend(self.table(child))
            elif tag == MC + "AlternateContent":
                branch = _branch(child)
                if branch is not None:
                    self.blocks(branch, out)
            elif tag in _SKIP:
                continue
            else:   # w:sdt, w:sdtContent, w:customXml, w:ins, w:smartTag …: their blocks count
                self.blocks(child, out)

    def paragraph(self, p: ElementTree.Element, out: list[str]) -> None:
        parts: list[str] = []
        boxes: list[str] = []
        self.runs(p, parts, boxes)
        text = "".join(parts)
        if text.strip():
            marker = self.numbering.marker(p.find(W + "pPr"))
            out.append(marker + text.lstrip() if marker else text)
        out.extend(boxes)

    def runs(self, node: ElementTree.Element, parts: list[str], boxes: list[str]) -> None:
        for child in node:
            tag = child.tag
            if tag == W + "t":
                parts.append(child.text or "")
            elif tag == W + "tab":
                parts.append("\t")
            elif tag in (W + "br", W + "cr"):
                parts.append("\n")
            elif tag == W + "noBreakHyphen":
                parts.append("-")
            elif tag == W + "txbxContent":       # a text box: its own paragraphs, after this one
                self.blocks(child, boxes)
            elif tag == MC + "AlternateContent":
                branch = _branch(child)
                if branch is not None:
                    self.runs(branch, parts, boxes)
            elif tag in _SKIP:
                continue
            else:   # w:r, w:ins, w:customXml, w:smartTag, w:hyperlink, w:sdt, w:fldSimple, w:drawing …
                self.runs(child, parts, boxes)

    def table(self, tbl: ElementTree.Element) -> list[str]:
        """A data table as one line; a frame (no row with two filled cells) as the paragraphs it holds."""
        rows: list[list[list[str]]] = []
        for tr in _descendants(tbl, W + "tr", stop=W + "tbl"):
            cells = []
            for tc in _descendants(tr, W + "tc", stop=W + "tr"):
                inner: list[str] = []
                self.blocks(tc, inner)
                if any(part.strip() for part in inner):
                    cells.append(inner)
            if cells:
                rows.append(cells)
        if all(len(cells) == 1 for cells in rows):   # a box drawn around text, not a table of data
            return [part for cells in rows for part in cells[0]]
        line = self.row_sep.join(self.cell_sep.join("".join(" ".join(part.split()) for part in cell) for cell in cells)
                                 for cells in rows)
        return [line] if line else []


def _branch(alternate: ElementTree.Element) -> ElementTree.Element | None:
    """The one branch of an mc:AlternateContent to read: the first mc:Choice, else mc:Fallback."""
    choice = alternate.find(MC + "Choice")
    return choice if choice is not None else alternate.find(MC + "Fallback")


def _descendants(node: ElementTree.Element, tag: str, stop: str):
    """Children with `tag` below `node`, through wrappers (w:sdt, w:customXml …) but not into a `stop`."""
    for child in node:
        if child.tag == tag:
            yield child
        elif child.tag != stop and child.tag not in _SKIP and child.tag != MC + "AlternateContent":
            yield from _descendants(child, tag, stop)


# ---------------------------------------------------------------- entry point


def docx_to_text(data: bytes, path: str | Path = "<docx>", config: ReadConfig | None = None) -> str:
    """The text of a .docx, one paragraph a line (see the module docstring)."""
    config = config or load_read_config()
    archive = _Archive(data, path, config)
    xml = archive.read("word/document.xml")
    if xml is None:
        raise InputError("not a valid .docx (no word/document.xml inside)", path,
                         hint="open it in Word or WPS and save it as .docx")
    numbering_xml = archive.read("word/numbering.xml")
    styles_xml = archive.read("word/styles.xml")
    try:
        root = parse_xml(xml, "word/document.xml", path)
        numbering = Numbering.parse(parse_xml(numbering_xml, "word/numbering.xml", path) if numbering_xml else None,
                                    parse_xml(styles_xml, "word/styles.xml", path) if styles_xml else None)
        body = root.find(W + "body")
        reader = _Body(numbering, config)
        lines: list[str] = []
        reader.blocks(body if body is not None else root, lines)
    except RecursionError:
        raise InputError("the .docx is nested too deeply to read (a hostile file?)", path) from None
    lines = lines[: compile_layout(config.layout).body_end(lines)]
    return "\n".join(lines) + "\n"
