"""Bad input: every case gets one clear line naming the file, a non-zero exit, and no partial output."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edu_clf.cli import app
from tests.test_segment import check_invariant

ROOT = Path(__file__).resolve().parent.parent
SEED0 = ROOT / "seeds" / "000_a2250ef0bda6fe1b.txt"


def run(runner, *args):
    return runner.invoke(app, [str(a) for a in args])


def assert_clean_error(result, code: int, needle: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.stderr)
    assert needle in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.startswith("edu-clf: error:")
    assert result.stdout == ""


def make(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def zip_bytes() -> bytes:
    import io
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("x.txt", "y" * 100)
    return buffer.getvalue()


@pytest.mark.parametrize("name, data, needle", [
    ("image.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "PNG image"),
    ("archive.txt", zip_bytes(), "ZIP archive"),
    ("noise.txt", bytes(range(256)) * 40, "cannot decode"),
    ("word.docx", "这不是一个Word文件".encode("utf-8"), "word.docx"),
    ("report.pdf", b"%PDF-1.7 ...", "cannot read the PDF"),       # a broken PDF (PDFs are read: io/pdf.py)
    ("report.xls", b"\xd0\xcf\x11\xe0", "unsupported file type"),
])
def test_unreadable_reports(runner, tmp_path, name, data, needle):
    path = make(tmp_path, name, data)
    assert_clean_error(run(runner, "segment", path), 1, needle)
    assert name in run(runner, "segment", path).stderr


def test_missing_path_is_a_usage_error(runner, tmp_path):
    assert_clean_error(run(runner, "segment", tmp_path / "gone.txt"), 2, "gone.txt")


@pytest.mark.parametrize("data", [b"", b"  \n\t\n\xe3\x80\x80\n"], ids=["empty", "whitespace"])
def test_an_empty_report_alone_is_an_error(runner, tmp_path, data):
    """A run that finds no item is an error (issue 15): the file is named, as is why."""
    result = run(runner, "segment", make(tmp_path, "blank.txt", data), "--format", "jsonl")
    assert result.exit_code == 1 and result.stdout == ""
    warning, error = result.stderr.splitlines()
    assert "blank.txt" in warning and "no outline items" in warning
    assert error == f"edu-clf: error: {tmp_path / 'blank.txt'}: no items found in 1 file(s) (1 had no outline items)"


def test_an_empty_report_among_others_is_a_warning(runner, tmp_path):
    result = run(runner, "segment", make(tmp_path, "blank.txt", b""), make(tmp_path, "a.txt", SEED0.read_bytes()))
    assert result.exit_code == 0 and "blank.txt: no outline items" in result.stderr and "a.txt" not in result.stderr


def folder_without_items(tmp_path: Path) -> Path:
    """reports/: two files of no report type, one empty text, one whitespace-only text, one not text at all."""
    folder = tmp_path / "reports"
    (folder / "sub").mkdir(parents=True)
    make(folder, "scan.png", b"\x89PNG\r\n\x1a\n" + bytes(64))
    make(folder / "sub", "notes.xyz", "备注".encode("utf-8"))
    make(folder, "empty.txt", b"")
    make(folder / "sub", "blank.txt", b" \n\n")
    make(folder, "image.txt", b"\x89PNG\r\n\x1a\n" + bytes(64))
    return folder


@pytest.mark.parametrize("command", [["segment"], ["segment", "-f", "csv"], ["predict"], ["predict", "-j", "2"],
                                     ["predict", "-f", "csv", "--out", "out.csv"], ["report", "--out", "out.html"],
                                     ["profile"]], ids=" ".join)
def test_a_run_that_finds_no_item_is_an_error(runner, tmp_path, monkeypatch, model_path, command):
    """Every file skipped or empty: exit 1, each file listed with why, then one line naming the folder (issue 15)."""
    folder_without_items(tmp_path)
    monkeypatch.chdir(tmp_path)
    model = [] if command[0] == "segment" else ["--model", model_path]
    result = run(runner, *command, "reports", "--skip-errors", *model)
    assert result.exit_code == 1, result.output
    assert result.stdout == "" and sorted(p.name for p in tmp_path.iterdir()) == ["reports"]   # nothing written
    lines = result.stderr.splitlines()
    for name in ("scan.png", "notes.xyz", "empty.txt", "blank.txt", "image.txt"):
        assert any(name in line for line in lines[:-1]), (name, result.stderr)
    assert lines[-1] == ("edu-clf: error: reports: no items found in 5 file(s) (2 skipped: unsupported type; "
                         "1 could not be read; 2 had no outline items)")
    assert "Traceback" not in result.stderr


def test_an_empty_folder_is_an_error(runner, tmp_path, model_path):
    (tmp_path / "reports").mkdir()
    result = run(runner, "predict", tmp_path / "reports", "--model", model_path)
    assert_clean_error(result, 1, f"{tmp_path / 'reports'}: no report files found (folders are searched for .txt")


def test_one_bad_file_among_many_writes_nothing(runner, tmp_path, model_path):
    good = make(tmp_path, "a.txt", SEED0.read_bytes())
    bad = make(tmp_path, "b.txt", b"\x89PNG" + bytes(200))
    out = tmp_path / "out.jsonl"
    result = run(runner, "predict", good, bad, "--model", model_path, "--format", "jsonl", "--out", out)
    assert result.exit_code == 1 and "b.txt" in result.stderr
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def test_skip_errors_goes_on_and_lists_the_skipped(runner, tmp_path, model_path):
    good = make(tmp_path, "a.txt", SEED0.read_bytes())
    bad = make(tmp_path, "b.txt", b"\x89PNG" + bytes(200))
    result = run(runner, "predict", good, bad, "--model", model_path, "--format", "jsonl", "--skip-errors")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 13  # seed 000 has 13 items
    assert "skipped" in result.stderr and "b.txt" in result.stderr


def test_unreadable_file_in_a_folder(runner, tmp_path, monkeypatch):
    make(tmp_path, "a.txt", SEED0.read_bytes())
    locked = make(tmp_path, "b.txt", SEED0.read_bytes())
    real = Path.read_bytes

    def read_bytes(self):  # running as root ignores chmod, so the OS error is simulated
        if self == locked:
            raise PermissionError(13, "Permission denied")
        return real(self)
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    assert_clean_error(run(runner, "segment", tmp_path), 1, "b.txt: permission denied")


def test_traditional_characters_and_mixed_line_endings(runner, tmp_path):
    text = "某縣教育局工作總結\r\n一、學校建設穩步推進。新建教學樓三棟。\r二、教師隊伍不斷壯大。招聘教師四十名。\n"
    result = run(runner, "segment", make(tmp_path, "t.txt", text.encode("utf-8")), "--format", "jsonl")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 2


def test_a_single_long_line_without_breaks(runner, tmp_path):
    body = "".join(f"{i % 9 + 1}.第{i}项工作扎实推进，成效明显。" for i in range(20_000))
    path = make(tmp_path, "long.txt", ("长篇报告\n" + body).encode("utf-8"))
    result = run(runner, "segment", path, "--format", "jsonl")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) >= 1


# ------------------------------------------------------------------ labeled data


@pytest.mark.parametrize("content, needle", [
    ('{"doc_id": "d", "item": 0, "text": "x", "kind": "plan", "topic": "general"}\n{"doc_id": "d",', "bad.jsonl:2"),
    ('{"doc_id": "d", "item": 0, "kind": "plan", "topic": "general"}\n', "missing field"),
    ('{"doc_id": "d", "item": 0, "text": "x", "kind": "wish", "topic": "general"}\n', "unknown kind"),
    ('{"doc_id": "d", "item": 0, "text": "x", "kind": "plan", "topic": "sport"}\n', "unknown topic"),
    ('{"doc_id": "d", "item": 0, "text": "x", "kind": "plan", "topic": "general"}\n' * 2, "duplicate"),
    ("", "empty"),
    ('{"doc_id": "d", "item": 0, "text": "x", "kind": "plan", "topic": "general"}\n'
     '{"doc_id": "d", "item": 1, "text": "y", "kind": "plan", "topic": "safety"}\n', "one kind only"),
])
def test_bad_training_data(runner, tmp_path, content, needle):
    path = make(tmp_path, "bad.jsonl", content.encode("utf-8"))
    result = run(runner, "train", path, "--only", "--out", tmp_path / "m.skops", "--no-cv")   # the bad file alone
    assert_clean_error(result, 1, needle)
    assert not (tmp_path / "m.skops").exists()


def test_csv_with_wrong_columns(runner, tmp_path):
    path = make(tmp_path, "bad.csv", b"id,label\n1,2\n")
    assert_clean_error(run(runner, "validate", path), 1, "bad.csv:1")


# ------------------------------------------------------------------ model files and output


@pytest.mark.parametrize("make_model, needle", [
    (lambda p: p / "none.skops", "not found"),
    (lambda p: make(p, "rand.skops", bytes(range(256)) * 4), "not an edu-clf model"),
    (lambda p: p, "folder"),
])
def test_bad_model_files(runner, tmp_path, make_model, needle):
    assert_clean_error(run(runner, "predict", "--text", "下半年将继续推进。", "--model", make_model(tmp_path)), 1, needle)


def test_unwritable_output_folder(runner, tmp_path, model_path):
    result = run(runner, "predict", SEED0, "--model", model_path, "--out", tmp_path / "no" / "such" / "out.jsonl")
    assert_clean_error(result, 2, "does not exist")


def test_write_error_midway_leaves_no_partial_file(runner, tmp_path, model_path, monkeypatch):
    import edu_clf.report.writers as output
    calls = {"n": 0}
    real = output.JsonlWriter.row

    def failing_row(self, record):
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError(28, "No space left on device")
        return real(self, record)
    monkeypatch.setattr(output.JsonlWriter, "row", failing_row)
    out = tmp_path / "out.jsonl"
    result = run(runner, "predict", SEED0, "--model", model_path, "--format", "jsonl", "--out", out)
    assert result.exit_code != 0
    assert list(tmp_path.iterdir()) == []


def test_interrupted_train_keeps_the_previous_model(runner, tmp_path, model_path, monkeypatch):
    import edu_clf.model.train as training
    target = tmp_path / "model.skops"
    target.write_bytes(model_path.read_bytes())
    before = target.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(training, "train_model", interrupted)
    from tests.conftest import GOLD
    result = run(runner, "train", GOLD, "--only", "--out", target, "--no-cv")
    assert result.exit_code == 130
    assert target.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["model.skops"]


# ------------------------------------------------------------------ fuzzing


FUZZ = st.lists(st.one_of(
    st.text(max_size=20),                                     # any Unicode, control characters included
    st.characters(categories=["Cs"]),                         # lone surrogates (written with surrogatepass)
    st.sampled_from(["一、", "二、", "（一）", "1.", "2、", "（1）", "①", "一是", "。", "；", "\n", "\x00",
                     "\u2028", "【篇一】", "存在的问题", "1.1.1.1.", "一、一、一、"]),
), max_size=60).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(FUZZ)
def test_fuzz_read_segment_predict(tmp_path_factory, seed_model, text):
    from edu_clf.io import decode_report
    from edu_clf.pipeline import predict_items
    from edu_clf.segment import segment_text
    for codec in ("utf-8", "utf-16"):
        try:
            report = decode_report(text.encode(codec, errors="surrogatepass"), "txt", "fuzz.txt")
        except Exception as exc:  # only our own, named errors may escape the reader
            from edu_clf.errors import EduClfError
            assert isinstance(exc, EduClfError) and "fuzz.txt" in str(exc)
            continue
        docs = segment_text(report.text, "fuzz")
        check_invariant(report.text, docs)
        items = [it for d in docs for it in d.items]
        assert len(predict_items(seed_model, items)) == len(items)


def test_a_50_mb_text(runner, tmp_path):
    """A huge dump segments completely: every item reaches the output file."""
    from edu_clf.pipeline import load_documents
    seed = SEED0.read_bytes()
    body = seed.split(b"\n", 1)[1] + b"\n"
    big = make(tmp_path, "big.txt", seed + b"\n" + body * (50_000_000 // len(body) + 1))
    assert big.stat().st_size > 50_000_000
    out = tmp_path / "items.jsonl"
    result = run(runner, "segment", big, "--format", "jsonl", "--out", out)
    assert result.exit_code == 0
    with open(out, "rb") as handle:
        n_lines = sum(1 for _ in handle)
    assert n_lines == sum(len(d.items) for d in load_documents(big))


def test_a_skipped_file_is_reported_once_also_with_out(runner, tmp_path, model_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "r.txt").write_bytes(SEED0.read_bytes())
    (folder / "scan.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    for args in (["predict", "--model", str(model_path)], ["segment"]):
        result = run(runner, *args, str(folder), "--format", "jsonl", "--out", str(tmp_path / "out.jsonl"))
        assert result.exit_code == 0, result.stderr
        assert result.stderr.count("scan.png") == 1, result.stderr
