"""PDF, .docx, .doc / .wps copies of our own written reports segment as their clean text does.

Every copy is made here, from corpus/written/*.txt: a PDF with a running header
and page numbers (reportlab, with the Adobe CID font STSong-Light, so no system
font is needed), and a .docx with automatic numbering, a text box, tracked
changes, a table and end matter. Each must give the clean text's items (same
count, same text once whitespace is removed, or character-bigram Jaccard ≥ 0.95),
and no header, footer, page number, table cell or end-matter line may become an
item. Hostile files (scans, zip bombs, DTDs) are refused quickly, by name.
"""
from __future__ import annotations

import dataclasses
import io
import re
import shutil
import struct
import time
import tracemalloc
import warnings
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from edu_clf.config import ReadLimits, load_read_config
from edu_clf.errors import EduClfWarning, InputError
from edu_clf.io import iter_input_paths, read_report
from edu_clf.io.docx import docx_to_text, format_number
from edu_clf.io.pdf import pdf_to_text
from edu_clf.segment import segment_text

ROOT = Path(__file__).resolve().parent.parent
WRITTEN = sorted((ROOT / "corpus" / "written").glob("*.txt"))
SAMPLE = WRITTEN[::11]            # 12 reports, every writer's style
HEADERS = ["内部资料 注意保存", "县教育局文件汇编（内部）", "教育工作参考材料"]
FOOTERS = ["- {n} -", "第{n}页 共{total}页", "{n}/{total}", "第 {n} 页"]


def squash(text: str) -> str:
    return "".join(text.split())


def bigram_jaccard(a: str, b: str) -> float:
    x, y = {a[i:i + 2] for i in range(len(a) - 1)}, {b[i:i + 2] for i in range(len(b) - 1)}
    return len(x & y) / len(x | y) if x | y else 1.0


def outline(text: str) -> list[tuple[str, tuple[str, ...], str]]:
    return [(squash(doc.title), tuple(squash(h) for h in it.headings), squash(it.text))
            for doc in segment_text(text, "d") for it in doc.items]


def compare(copy: list, clean: list) -> tuple[int, int]:
    """(items matched, items expected): same count, and each text equal or bigram Jaccard ≥ 0.95."""
    matched = sum(1 for (ta, ha, a), (tb, hb, b) in zip(copy, clean)
                  if ta == tb and ha == hb and (a == b or bigram_jaccard(a, b) >= 0.95))
    return matched, len(clean)


# ---------------------------------------------------------------- PDF copies

FONT = "STSong-Light"   # one of Adobe's standard CJK fonts: referenced, not embedded (a UniGB CMap)
WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")   # Debian's fonts-wqy-microhei (CI installs it)


def register_font(ttf: Path | None = None) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    if ttf is None:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        return FONT
    pdfmetrics.registerFont(TTFont("WQY", str(ttf), subfontIndex=0))   # embedded subset with a ToUnicode map
    return "WQY"


def make_pdf(paragraphs: list[str], header: str, footer: str, ttf: Path | None = None) -> bytes:
    """A 公文-like PDF: centred title, paragraphs indented two characters, hard-wrapped to the margin."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfgen import canvas

    FONT = register_font(ttf)  # noqa: N806
    width, height = A4
    left, right, top, bottom, size, lead = 80, width - 80, height - 90, 80, 12, 20

    def wrap(text: str, first_indent: float) -> list[str]:
        lines, current, avail = [], "", right - left - first_indent
        for ch in text:
            if pdfmetrics.stringWidth(current + ch, FONT, size if first_indent else 16) > avail:
                lines.append(current)
                current, avail = "", right - left
            current += ch
        return lines + [current] if current else lines

    placed, page, y = [], 0, top
    for i, para in enumerate(p.strip() for p in paragraphs if p.strip()):
        if i == 0:   # the title, centred, larger
            for line in wrap(para, 0):
                placed.append((page, (width - pdfmetrics.stringWidth(line, FONT, 16)) / 2, y, line, 16))
                y -= lead * 1.5
            continue
        for k, line in enumerate(wrap(para, 2 * size)):
            if y < bottom:
                page, y = page + 1, top
            placed.append((page, left + (2 * size if k == 0 else 0), y, line, size))
            y -= lead
    total = page + 1
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for p in range(total):
        pdf.setFont(FONT, 9)
        pdf.drawString(left, height - 50, header)
        pdf.line(left, height - 55, right, height - 55)
        for pg, x, yy, text, s in placed:
            if pg == p:
                pdf.setFont(FONT, s)
                pdf.drawString(x, yy, text)
        pdf.setFont(FONT, 10)
        number = footer.format(n=p + 1, total=total)
        pdf.drawString((width - pdfmetrics.stringWidth(number, FONT, 10)) / 2, 40, number)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def chrome_leaks(copy: list, chrome: list[str], clean_text: str) -> list[str]:
    """Chrome pieces (absent from the clean text) found in any title, heading or item of the copy."""
    body = squash(clean_text)
    pieces = [squash(c) for c in chrome if squash(c) and squash(c) not in body]
    return [p for p in pieces for title, heads, text in copy if p in title or p in text or any(p in h for h in heads)]


@pytest.mark.parametrize("index", range(len(SAMPLE)), ids=[p.stem for p in SAMPLE])
def test_pdf_copy_gives_the_clean_items(index, tmp_path):
    check_pdf_copy(SAMPLE[index], index, tmp_path, None)


@pytest.mark.skipif(not WQY.is_file(), reason="needs Debian's fonts-wqy-microhei (.ci/run installs it)")
@pytest.mark.parametrize("index", range(0, len(SAMPLE), 3), ids=[p.stem for p in SAMPLE[::3]])
def test_pdf_copy_with_an_embedded_truetype_font(index, tmp_path):
    check_pdf_copy(SAMPLE[index], index, tmp_path, WQY)


def check_pdf_copy(path: Path, index: int, tmp_path: Path, ttf: Path | None) -> None:
    clean = path.read_text(encoding="utf-8")
    header, footer = HEADERS[index % len(HEADERS)], FOOTERS[index % len(FOOTERS)]
    pdf = tmp_path / f"{path.stem}.pdf"
    pdf.write_bytes(make_pdf(clean.split("\n"), header, footer, ttf))
    copy, expected = outline(read_report(pdf).text), outline(clean)
    assert len(copy) == len(expected)
    assert compare(copy, expected) == (len(expected), len(expected))
    pages = pdf.read_bytes().count(b"/Type /Page\n") or 12
    chrome = [header] + [footer.format(n=n, total=pages) for n in range(1, pages + 1)]
    assert chrome_leaks(copy, chrome, clean) == []


def test_pdf_page_furniture_is_dropped_and_lines_rejoined():
    clean = SAMPLE[0].read_text(encoding="utf-8")
    text = pdf_to_text(make_pdf(clean.split("\n"), "内部资料 注意保存", "第{n}页 共{total}页"), "r.pdf")
    assert "内部资料" not in text and not re.search(r"第\d+页", text)
    clean_paras = [squash(p) for p in clean.split("\n") if p.strip()]
    # one line a paragraph, as in the clean text: every wrapped line was joined back
    assert [squash(p) for p in text.split("\n") if p.strip()] == clean_paras


def test_a_marker_after_a_line_broken_mid_sentence_does_not_split_the_paragraph():
    # "…学籍一、" / "二、三年级…": the wrap put 二、 at a line start inside a sentence
    para = "全区2所中职学校全日制正式学籍一、二、三年级在校生全部免除学费，今年春秋两个学期共免学费6214人次。" * 12   # two pages
    clean = "丰泽区教育局学生资助工作总结\n" + "\n".join(f"{n}．{para}" for n in (1, 2))
    text = pdf_to_text(make_pdf(clean.split("\n"), "资料", "- {n} -"), "r.pdf")
    assert [squash(p) for p in text.split("\n") if p.strip()] == [squash(p) for p in clean.split("\n")]


def scan_pdf() -> bytes:
    """A PDF whose pages hold only an image-like drawing: what a scanner without OCR writes."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for _ in range(3):
        for k in range(40):
            pdf.rect(80, 100 + k * 16, 400 - (k % 5) * 30, 8, fill=1, stroke=0)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_a_scan_without_text_layer_is_refused_saying_ocr(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(scan_pdf())
    with pytest.raises(InputError) as err:
        read_report(path)
    message = str(err.value)
    assert "scan.pdf" in message and "no text layer" in message and "OCR" in message


def flate_bomb_pdf(inflated: int) -> bytes:
    """A one-page PDF whose content stream is `inflated` bytes of spaces, deflated to a few KB."""
    import zlib

    stream = zlib.compress(b"BT /F1 12 Tf 72 700 Td (x) Tj ET\n" + b" " * inflated, 9)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_a_pdf_stream_inflating_past_the_limit_is_refused():
    config = load_read_config()
    small = dataclasses.replace(config, limits=ReadLimits(max_decompressed_bytes=256 << 10, max_member_bytes=256 << 10))
    bomb = flate_bomb_pdf(1 << 20)
    with pytest.raises(InputError):
        pdf_to_text(bomb, "bomb.pdf", small)    # imports pypdf outside the measurement
    start = time.perf_counter()
    tracemalloc.start()
    with pytest.raises(InputError) as err:
        pdf_to_text(bomb, "bomb.pdf", small)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "bomb.pdf" in str(err.value) and "limit" in str(err.value)
    assert time.perf_counter() - start < 5 and peak < 4 << 20
    # under the default limits the same file reads (its one word is too little text: no text layer)
    with pytest.raises(InputError, match="no text layer"):
        pdf_to_text(bomb, "bomb.pdf", config)


def test_a_broken_pdf_is_one_error_naming_the_file(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage")
    with pytest.raises(InputError) as err:
        read_report(path)
    assert "broken.pdf" in str(err.value)


# ---------------------------------------------------------------- .docx copies

NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "v": "urn:schemas-microsoft-com:vml",
}
LEVELS = [  # (numFmt, lvlText, pattern of the marker as the clean text writes it)
    ("chineseCounting", "%1、", r"([一二三四五六七八九十]{1,3})、"),
    ("chineseCounting", "（%2）", r"（([一二三四五六七八九十]{1,3})）"),
    ("decimal", "%3.", r"(\d{1,2})\.(?!\d)"),
    ("decimal", "（%4）", r"（(\d{1,2})）"),
    ("decimalEnclosedCircle", "%5", r"([①-⑳])"),
]
NUMBERING = (f'<w:numbering xmlns:w="{NS["w"]}"><w:abstractNum w:abstractNumId="0">'
             + "".join(f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
                       f'<w:lvlText w:val="{text}"/><w:suff w:val="nothing"/></w:lvl>'
                       for i, (fmt, text, _) in enumerate(LEVELS))
             + '</w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num></w:numbering>')
TABLE = [["序号", "项目名称", "投资（万元）", "完成时间"], ["1", "城区第三小学新建工程", "32000", "2024年12月"],
         ["2", "乡镇寄宿制学校改造", "8600", "2024年9月"]]
END_MATTER = ["附件：1.2024年教育重点项目推进表", "抄送：县委办公室，县人大常委会办公室，县政府办公室。",
              "淅川县教育局办公室                    2024年3月1日印发"]


def run(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def para(body: str, level: int | None = None) -> str:
    ppr = f'<w:pPr><w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="1"/></w:numPr></w:pPr>' if level is not None else ""
    return f"<w:p>{ppr}{body}</w:p>"


def numbered(lines: list[str]) -> tuple[list[tuple[str, int | None]], int]:
    """Lines with their leading marker turned into automatic numbering where Word would render the same."""
    counters: dict[int, int] = {}
    out, converted = [], 0
    for line in lines:
        for level, (fmt, template, pattern) in enumerate(LEVELS):
            m = re.match(pattern, line)
            if not m:
                continue
            trial = {k: v for k, v in counters.items() if k < level}
            trial[level] = counters.get(level, 0) + 1
            rendered = template.replace(f"%{level + 1}", format_number(trial[level], fmt))
            if rendered == m.group(0):
                counters = trial
                out.append((line[m.end():], level))
                converted += 1
                break
        else:
            out.append((line, None))
    return out, converted


def table_xml(rows: list[list[str]]) -> str:
    return "<w:tbl>" + "".join("<w:tr>" + "".join(f"<w:tc>{para(run(c))}</w:tc>" for c in row) + "</w:tr>"
                               for row in rows) + "</w:tbl>"


def text_box(text: str) -> str:
    """An anchor paragraph holding a text box, written as Word does: a DrawingML choice and a VML fallback."""
    inner = f"<w:txbxContent>{para(run(text))}</w:txbxContent>"
    return ("<w:p><w:r><mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing><wp:anchor><a:graphic>"
            f"<a:graphicData><wps:wsp><wps:txbx>{inner}</wps:txbx></wps:wsp></a:graphicData></a:graphic>"
            "</wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox>"
            f"{inner}</v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>")


def tracked(text: str) -> str:
    """One paragraph's text over w:ins, w:smartTag and w:customXml runs, with w:del and w:moveFrom runs between."""
    a, b, c = text[: len(text) // 3], text[len(text) // 3: 2 * len(text) // 3], text[2 * len(text) // 3:]
    return (f'{run(a)}<w:ins w:id="1" w:author="x">{run(b)}</w:ins>'
            f'<w:del w:id="2" w:author="x"><w:r><w:delText>已删除的旧表述。</w:delText></w:r></w:del>'
            f'<w:moveFrom w:id="3" w:author="x"><w:r><w:t>已移走的旧表述。</w:t></w:r></w:moveFrom>'
            f'<w:smartTag w:uri="u" w:element="e">{run(c[:2])}</w:smartTag><w:customXml w:element="c">{run(c[2:])}</w:customXml>')


def make_docx(clean: str, table: bool = True) -> tuple[bytes, str, int]:
    """(the .docx, the text it stands for, paragraphs numbered automatically) for one clean report."""
    lines = [line for line in clean.split("\n") if line.strip()]
    paragraphs, converted = numbered(lines)
    # the table goes after the first long body paragraph that ends a sentence, the text box holds line 2
    host = next(i for i, (t, lvl) in enumerate(paragraphs) if i > 2 and len(t) > 80 and t.endswith("。"))
    body, expected = [], []
    for i, (text, level) in enumerate(paragraphs):
        if i == 1:
            body.append(text_box(text))
        elif i == host + 1:
            body.append(para(tracked(text), level))
        else:
            body.append(para(run(text), level))
        expected.append(lines[i])
        if i == host and table:
            body.append(table_xml(TABLE))
            expected.append("；".join("｜".join(row) for row in TABLE))
    body.extend(para(run(line)) for line in END_MATTER[:1])
    body.append(table_xml(TABLE))
    body.extend(para(run(line)) for line in END_MATTER[1:])
    ns = " ".join(f'xmlns:{k}="{v}"' for k, v in NS.items())
    document = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {ns}><w:body>{"".join(body)}</w:body></w:document>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", document)
        z.writestr("word/numbering.xml", NUMBERING)
    return buffer.getvalue(), "\n".join(expected) + "\n", converted


NUMBERED = [p for p in WRITTEN
            if numbered([line for line in p.read_text(encoding="utf-8").split("\n") if line.strip()])[1] >= 3]
DOCX_SAMPLE = NUMBERED[:: max(1, len(NUMBERED) // 12)][:12]   # reports with outline markers to number


@pytest.mark.parametrize("path", DOCX_SAMPLE, ids=[p.stem for p in DOCX_SAMPLE])
def test_docx_copy_gives_the_clean_items(path, tmp_path):
    clean = path.read_text(encoding="utf-8")
    data, expected_text, converted = make_docx(clean)
    assert converted >= 3   # the copy really leans on automatic numbering
    doc = tmp_path / f"{path.stem}.docx"
    doc.write_bytes(data)
    copy, expected = outline(read_report(doc).text), outline(expected_text)
    assert len(copy) == len(expected) == len(outline(clean)) + 1   # the clean items and the table's one block
    assert compare(copy, expected) == (len(expected), len(expected))
    cells = {squash(c) for row in TABLE for c in row}
    assert not [text for _, _, text in copy if text in cells]          # no item per table cell
    assert chrome_leaks(copy, END_MATTER + ["已删除的旧表述", "已移走的旧表述"], clean) == []
    box = squash([line for line in clean.split("\n") if line.strip()][1])
    assert squash(read_report(doc).text).count(box) == squash(clean).count(box)   # the text box, read once


def test_docx_numbering_formats():
    assert [format_number(n, "chineseCounting") for n in (1, 10, 11, 20, 23, 105)] == \
        ["一", "十", "十一", "二十", "二十三", "一百零五"]
    assert format_number(3, "decimalEnclosedCircle") == "③"
    assert format_number(2, "decimalEnclosedParen") == "（2）"
    assert format_number(4, "upperRoman") == "IV" and format_number(3, "ideographTraditional") == "丙"


def minimal_docx(document: str, numbering: str | None = None, styles: str | None = None,
                 compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as z:
        z.writestr("word/document.xml", document)
        if numbering:
            z.writestr("word/numbering.xml", numbering)
        if styles:
            z.writestr("word/styles.xml", styles)
    return buffer.getvalue()


def test_docx_numbering_through_styles_restarts_and_continues():
    w = NS["w"]
    styles = (f'<w:styles xmlns:w="{w}"><w:style w:styleId="H1"><w:pPr><w:numPr><w:ilvl w:val="0"/>'
              '<w:numId w:val="1"/></w:numPr></w:pPr></w:style><w:style w:styleId="H2"><w:basedOn w:val="H1"/>'
              '<w:pPr><w:numPr><w:ilvl w:val="1"/></w:numPr></w:pPr></w:style></w:styles>')
    sty = lambda s, t: f'<w:p><w:pPr><w:pStyle w:val="{s}"/></w:pPr>{run(t)}</w:p>'  # noqa: E731
    body = sty("H1", "队伍建设") + sty("H2", "师德") + sty("H2", "培训") + sty("H1", "办学条件") + sty("H2", "校舍")
    text = docx_to_text(minimal_docx(f'<w:document xmlns:w="{w}"><w:body>{body}</w:body></w:document>',
                                     NUMBERING, styles))
    assert text.split("\n")[:5] == ["一、队伍建设", "（一）师德", "（二）培训", "二、办学条件", "（一）校舍"]


def test_docx_with_a_doctype_is_refused_xxe_and_billion_laughs(tmp_path):
    w = NS["w"]
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
              + f']><w:document xmlns:w="{w}"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>')
    xxe = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           f'<w:document xmlns:w="{w}"><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>')
    for name, xml in (("laughs.docx", laughs), ("xxe.docx", xxe)):
        path = tmp_path / name
        path.write_bytes(minimal_docx(xml))
        start = time.perf_counter()
        with pytest.raises(InputError) as err:
            read_report(path)
        assert name in str(err.value) and "DOCTYPE" in str(err.value) and "root:" not in str(err.value)
        assert time.perf_counter() - start < 1


def patch_central_directory(data: bytes, name: bytes, *, size: int | None = None, flags: int | None = None) -> bytes:
    """The zip with one member's declared uncompressed size or flag bits changed in its central record."""
    buf = bytearray(data)
    pos = 0
    while (pos := buf.find(b"PK\x01\x02", pos)) >= 0:
        name_len = struct.unpack_from("<H", buf, pos + 28)[0]
        if bytes(buf[pos + 46: pos + 46 + name_len]) == name:
            if size is not None:
                struct.pack_into("<I", buf, pos + 24, size)
            if flags is not None:
                struct.pack_into("<H", buf, pos + 8, flags)
        pos += 4
    return bytes(buf)


def test_a_docx_zip_bomb_is_refused_quickly_with_bounded_memory(tmp_path):
    w = NS["w"]
    filler = "<w:p><w:r><w:t>一</w:t></w:r></w:p>" * 200_000           # ~7 MB of XML, deflates to a few KB
    data = minimal_docx(f'<w:document xmlns:w="{w}"><w:body>{filler}</w:body></w:document>')
    assert len(data) < 200_000
    small = dataclasses.replace(load_read_config(), limits=ReadLimits(max_decompressed_bytes=64 << 20,
                                                                       max_member_bytes=1 << 20))
    cases = [
        ("declared.docx", data, small, "declares"),                                        # header says 7 MB
        ("lying.docx", patch_central_directory(data, b"word/document.xml", size=1000), small, "broken"),  # says 1 KB
        ("huge.docx", patch_central_directory(data, b"word/document.xml", size=0xF0000000), None, "zip bomb"),
    ]
    for name, blob, config, needle in cases:
        start = time.perf_counter()
        tracemalloc.start()
        with pytest.raises(InputError) as err:
            docx_to_text(blob, name, config)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert name in str(err.value) and needle in str(err.value)
        assert time.perf_counter() - start < 2 and peak < 8 << 20, (name, peak)


def test_encrypted_and_unusually_compressed_docx_members_are_one_error():
    w = NS["w"]
    doc = f'<w:document xmlns:w="{w}"><w:body>{para(run("一、正文。"))}</w:body></w:document>'
    encrypted = patch_central_directory(minimal_docx(doc), b"word/document.xml", flags=0x1)
    with pytest.raises(InputError, match=r"enc\.docx: the \.docx member word/document\.xml is encrypted"):
        docx_to_text(encrypted, "enc.docx")
    with pytest.raises(InputError, match=r"bz\.docx: .*unusual compression \(method 12\)"):
        docx_to_text(minimal_docx(doc, compression=zipfile.ZIP_BZIP2), "bz.docx")
    with pytest.raises(InputError, match=r"pw\.docx: .*password-protected"):
        docx_to_text(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "pw.docx")


# ---------------------------------------------------------------- .doc / .wps and folders


def test_doc_without_a_converter_says_how_to_convert(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    for name in ("old.doc", "kingsoft.wps"):
        path = tmp_path / name
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000))
        with pytest.raises(InputError) as err:
            read_report(path)
        assert name in str(err.value) and "save it as .docx" in str(err.value) and "antiword" in str(err.value)


def test_doc_is_read_through_antiword_when_installed(tmp_path, monkeypatch):
    clean = SAMPLE[1].read_text(encoding="utf-8")
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "clean.txt").write_text(clean, encoding="utf-8")
    stub = tools / "antiword"   # stands in for Debian's antiword: checks its arguments, prints the text
    cat = shutil.which("cat")
    stub.write_text(f'#!/bin/sh\n[ "$1" = "-m" ] && [ "$2" = "UTF-8.txt" ] && [ -s "$5" ] && {cat} "{tools}/clean.txt"\n')
    stub.chmod(0o755)
    monkeypatch.setenv("PATH", str(tools))
    path = tmp_path / "report.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000))
    assert outline(read_report(path).text) == outline(clean)


def test_a_docx_named_doc_is_read_as_docx(tmp_path):
    path = tmp_path / "renamed.doc"
    path.write_bytes(minimal_docx(f'<w:document xmlns:w="{NS["w"]}"><w:body>{para(run("一、正文。"))}</w:body></w:document>'))
    assert read_report(path).text == "一、正文。\n"


def test_folders_take_pdf_and_word_files_and_name_every_skipped_file(tmp_path):
    for name in ("a.pdf", "b.docx", "c.doc", "d.wps", "e.txt", "notes.png", "labels.jsonl", "~$b.docx"):
        (tmp_path / name).write_bytes(b"x")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = [Path(p).name for p in iter_input_paths([str(tmp_path)])]
    assert found == ["a.pdf", "b.docx", "c.doc", "d.wps", "e.txt"]
    messages = [str(w.message) for w in caught if issubclass(w.category, EduClfWarning)]
    assert any("notes.png: skipped: not a report type (.png" in m for m in messages)
    assert any("labels.jsonl: skipped" in m and "named explicitly" in m for m in messages)
    assert any("~$b.docx: skipped: a Word/WPS lock file" in m for m in messages)


def test_cli_segments_a_folder_of_pdf_and_docx_copies(runner, tmp_path):
    from edu_clf.cli import app

    clean = SAMPLE[2].read_text(encoding="utf-8")
    (tmp_path / "r.txt").write_text(clean, encoding="utf-8")
    (tmp_path / "r_copy.pdf").write_bytes(make_pdf(clean.split("\n"), "内部资料 注意保存", "- {n} -"))
    (tmp_path / "scan.pdf").write_bytes(scan_pdf())
    result = runner.invoke(app, ["segment", str(tmp_path), "--format", "jsonl", "--skip-errors"])
    assert result.exit_code == 0, result.output
    import json
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    by_doc: dict[str, list[str]] = {}
    for row in rows:
        by_doc.setdefault(row["doc_id"], []).append(squash(row["text"]))
    assert len(by_doc) == 2 and len({tuple(v) for v in by_doc.values()}) == 1   # the PDF gives the .txt's items
    assert "scan.pdf" in result.stderr and "no text layer" in result.stderr



def test_a_one_column_frame_table_gives_its_paragraphs():
    w = NS["w"]
    frame = ("<w:tbl><w:tr><w:tc>" + para(run("一、学校安全工作扎实推进。")) + para(run("二、教师队伍持续加强。"))
             + "</w:tc></w:tr></w:tbl>")
    data = table_xml([["学校", "人数"], ["一中", "1200"]])
    text = docx_to_text(minimal_docx(f'<w:document xmlns:w="{w}"><w:body>{frame}{data}</w:body></w:document>'))
    assert text.split("\n")[:3] == ["一、学校安全工作扎实推进。", "二、教师队伍持续加强。", "学校｜人数；一中｜1200"]
