"""Old Word (.doc) and WPS (.wps) files → text, through a tool installed on the machine.

No maintained, permissively licensed Python reader exists for these binary
formats, so edu-clf runs the first of these it finds on PATH, as a separate
program: LibreOffice (`soffice --headless --convert-to docx`, then the .docx
reader, which keeps automatic numbering and tables), `antiword` or `catdoc`
(Debian: `apt-get install antiword`). Without any of them the file is refused
with a message that says how to convert it. A file that is really a .docx, a
web page or RTF under a .doc name is recognized by its bytes.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from edu_clf.config import ReadConfig, load_read_config
from edu_clf.errors import InputError

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
TOOLS = ("soffice", "libreoffice", "antiword", "catdoc")


def convert_hint(suffix: str) -> str:
    return (f"open the {suffix} file in Word or WPS and save it as .docx (文件 → 另存为 → Word 文档 *.docx), "
            "or install a converter: apt-get install antiword (or libreoffice-writer)")


def find_tool() -> tuple[str, str] | None:
    """(name, path) of the first converter on PATH, or None."""
    for name in TOOLS:
        found = shutil.which(name)
        if found:
            return name, found
    return None


def doc_to_text(data: bytes, path: str | Path = "<doc>", config: ReadConfig | None = None) -> str:
    """The text of a .doc or .wps file, one paragraph a line (see the module docstring)."""
    config = config or load_read_config()
    suffix = Path(str(path)).suffix.lower() or ".doc"
    if data.startswith(b"PK\x03\x04"):             # a .docx under an old name
        from edu_clf.io.docx import docx_to_text
        return docx_to_text(data, path, config)
    head = data.lstrip()[:200].lower()
    if head.startswith(b"{\\rtf"):
        raise InputError(f"this {suffix} file is RTF, which edu-clf does not read", path,
                         hint="open it in Word or WPS and save it as .docx")
    if head.startswith((b"<!doctype html", b"<html", b"mime-version")) or b"<html" in head:
        raise InputError(f"this {suffix} file is a web page saved under a Word name", path,
                         hint="rename it to .html (or save it as .docx) and pass it again")
    if not data.startswith(OLE_SIGNATURE):
        raise InputError(f"not a Word/WPS {suffix} file (no OLE compound-file header)", path, hint=convert_hint(suffix))
    tool = find_tool()
    if tool is None:
        raise InputError(f"reading {suffix} files needs LibreOffice, antiword or catdoc, and none is installed",
                         path, hint=convert_hint(suffix))
    name, exe = tool
    timeout = config.doc.timeout_seconds
    with tempfile.TemporaryDirectory(prefix="edu-clf-doc-") as tmp:
        source = Path(tmp) / f"input{suffix}"
        source.write_bytes(data)
        if name in ("soffice", "libreoffice"):
            cmd = [exe, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--norestore",
                   "--convert-to", "docx", "--outdir", tmp, str(source)]
        elif name == "antiword":
            cmd = [exe, "-m", "UTF-8.txt", "-w", "0", str(source)]
        else:
            cmd = [exe, "-d", "utf-8", "-w", str(source)]
        env = {**os.environ, "LC_ALL": "C.UTF-8"}
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise InputError(f"{name} took longer than {timeout:g} s on this file", path,
                             hint=convert_hint(suffix)) from None
        except OSError as exc:
            raise InputError(f"cannot run {name}: {exc.strerror or exc}", path, hint=convert_hint(suffix)) from None
        if name in ("soffice", "libreoffice"):
            converted = Path(tmp) / "input.docx"
            if done.returncode != 0 or not converted.is_file():
                raise InputError(f"{name} could not convert the file ({_first_line(done.stderr)})", path,
                                 hint=convert_hint(suffix))
            from edu_clf.io.docx import docx_to_text
            return docx_to_text(converted.read_bytes(), path, config)
    if done.returncode != 0:
        raise InputError(f"{name} could not read the file ({_first_line(done.stderr)})", path,
                         hint=convert_hint(suffix))
    text = done.stdout.decode("utf-8", errors="replace")
    if not text.strip():
        raise InputError(f"{name} found no text in the file", path, hint=convert_hint(suffix))
    return text


def _first_line(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", errors="replace").splitlines() if line.strip()]
    return lines[0][:200] if lines else "no message"
