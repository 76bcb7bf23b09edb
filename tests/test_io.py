"""Reading reports: encodings detected from bytes, HTML and .docx text, clear errors."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from edu_clf.errors import InputError, UsageError
from edu_clf.io import decode_bytes, docx_to_text, html_to_text, iter_input_paths, read_report
from edu_clf.pipeline import load_documents

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_a2250ef0bda6fe1b.txt"
RUNON = Path(__file__).resolve().parent.parent / "seeds" / "002_faffd9a2ed2f71c6.txt"


def items_of(path: Path) -> list[tuple]:
    return [(it.item, it.title, it.headings, it.text) for doc in load_documents(path) for it in doc.items]


def html_page(text: str) -> str:
    body = "".join(f"<p>{line}</p>\n" for line in text.split("\n"))
    return ("<!DOCTYPE html><html><head><title>t</title><style>p{color:red}</style>"
            "<script>var x = '一、不是正文';</script></head><body><nav>首页 | 新闻</nav>"
            f"<div class='content'>{body}</div></body></html>")


def docx_bytes(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    if table:
        rows = "".join("<w:tr>" + "".join(f"<w:tc><w:p><w:r><w:t>{c}</w:t></w:r></w:p></w:tc>" for c in row)
                       + "</w:tr>" for row in table)
        body += f"<w:tbl>{rows}</w:tbl>"
    xml = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{w}"><w:body>{body}</w:body></w:document>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", xml)
    return buffer.getvalue()


@pytest.mark.parametrize("seed", [SEED, RUNON], ids=["lines", "run-on"])
@pytest.mark.parametrize("encoding", ["gb18030", "utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
def test_encodings_give_identical_items(tmp_path, seed, encoding):
    text = seed.read_text(encoding="utf-8")
    copy = tmp_path / f"{seed.stem}.txt"
    copy.write_bytes(text.encode(encoding))
    assert items_of(copy) == items_of(seed)


@pytest.mark.parametrize("seed", [SEED, RUNON], ids=["lines", "run-on"])
def test_html_wrapped_seed_gives_identical_items(tmp_path, seed):
    page = tmp_path / f"{seed.stem}.html"
    page.write_text(html_page(seed.read_text(encoding="utf-8")), encoding="utf-8")
    assert items_of(page) == items_of(seed)


def test_html_in_gb18030_with_meta_charset(tmp_path):
    page = tmp_path / f"{SEED.stem}.htm"
    page.write_bytes(html_page(SEED.read_text(encoding="utf-8")).encode("gb18030"))
    assert items_of(page) == items_of(SEED)


def test_docx_paragraphs_give_identical_items(tmp_path):
    lines = SEED.read_text(encoding="utf-8").split("\n")
    doc = tmp_path / f"{SEED.stem}.docx"
    doc.write_bytes(docx_bytes(lines))
    assert items_of(doc) == items_of(SEED)


def test_docx_tables_are_read():
    text = docx_to_text(docx_bytes(["前言。"], [["学校", "人数"], ["一中", "1200"]]))
    assert "前言。" in text and "一中" in text and "1200" in text


def test_html_drops_scripts_styles_and_navigation():
    text = html_to_text(html_page("一、正文第一段。"))
    assert "正文第一段" in text
    assert "不是正文" not in text and "color" not in text and "首页" not in text


def test_html_block_elements_become_line_breaks():
    text = html_to_text("<div>第一段。</div><p>第二段。</p>第三<br>段")
    assert [line for line in text.split("\n") if line.strip()] == ["第一段。", "第二段。", "第三", "段"]


def test_gb18030_is_detected_from_bytes_not_locale():
    decoded = decode_bytes("教育局2021年工作总结。".encode("gb18030"))
    assert decoded.text == "教育局2021年工作总结。"
    assert decoded.encoding == "gb18030"


def test_utf16_without_bom_is_detected():
    for codec in ("utf-16-le", "utf-16-be"):
        assert decode_bytes("一、学校安全工作扎实推进。".encode(codec)).text == "一、学校安全工作扎实推进。"


def test_truncated_utf8_keeps_the_text_and_warns():
    data = "一、队伍建设。".encode("utf-8")[:-1]
    decoded = decode_bytes(data)
    assert decoded.text.startswith("一、队伍建设")
    assert decoded.warning


def test_binary_bytes_are_refused():
    with pytest.raises(InputError):
        decode_bytes(bytes(range(256)) * 40, "x.txt")


def test_unsupported_extension_names_file_and_supported_types(tmp_path):
    path = tmp_path / "report.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError) as err:
        read_report(path)
    assert "report.xls" in str(err.value) and ".docx" in str(err.value) and ".pdf" in str(err.value)


def test_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError) as err:
        read_report(tmp_path / "nope.txt")
    assert "nope.txt" in str(err.value)


def test_docx_that_is_not_a_zip(tmp_path):
    path = tmp_path / "fake.docx"
    path.write_text("not a zip", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_report(path)
    assert "fake.docx" in str(err.value)


def test_folders_are_walked_recursively_and_sorted(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("x", encoding="utf-8")
    (tmp_path / "1.html").write_text("x", encoding="utf-8")
    (tmp_path / "skip.png").write_bytes(b"\x89PNG")
    found = [Path(p).relative_to(tmp_path).as_posix() for p in iter_input_paths([str(tmp_path)])]
    assert found == ["1.html", "b/2.txt"]


def test_symlink_loop_terminates(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "r.txt").write_text("x", encoding="utf-8")
    (tmp_path / "a" / "loop").symlink_to(tmp_path / "a", target_is_directory=True)
    found = list(iter_input_paths([str(tmp_path)]))
    assert len(found) == 1


def test_mixed_line_endings_are_normalized(tmp_path):
    path = tmp_path / "m.txt"
    path.write_bytes("标题\r\n一、第一项工作已完成。\r二、第二项工作已完成。\n".encode("utf-8"))
    assert "\r" not in read_report(path).text
