"""Writes that never leave a half-written file, and outputs that never destroy an input."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from edu_clf.errors import UsageError


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` on success only."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError("the output folder does not exist", folder)
    tmp_path: Path | None = None
    try:
        with _signals_held():   # a Ctrl-C or SIGTERM between making the file and knowing its name would leave it
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
            except PermissionError:
                raise UsageError("cannot write here (permission denied)", folder) from None
            tmp_path = Path(tmp)
        os.close(fd)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; a result file gets the usual permissions
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        if tmp_path is not None:
            with contextlib.suppress(OSError):
                tmp_path.unlink()
        raise


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block ends (where the platform can hold them): their handlers then
    run in the code after it, which knows what to clean up."""
    import signal

    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def check_writable(path: str | Path, inputs: Iterable[str | Path] = (), option: str = "--out") -> None:
    """Refuse, before any work, an output that would destroy something: one of the inputs (or a link
    to it), a folder, an existing device / FIFO / symlink, or a place that cannot be written."""
    if path is None or str(path) == "-":
        return
    target = Path(path)
    for given in inputs:
        if str(given) == "-":
            continue
        try:
            same = target.exists() and Path(given).exists() and os.path.samefile(target, given)
        except OSError:
            same = False
        if same or target.resolve() == Path(given).resolve():
            raise UsageError(f"{option} is one of the inputs; it would be overwritten", target,
                             hint="write the result to another file")
    if target.is_symlink():
        raise UsageError(f"{option} is a symbolic link; refusing to replace it", target,
                         hint="give the real file's path")
    if target.is_dir():
        raise UsageError(f"{option} is a folder; give a file name", target)
    if target.exists() and not target.is_file():
        raise UsageError(f"{option} exists and is not a regular file (a device, pipe or socket)", target)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError("the output folder does not exist", folder)
    if not os.access(folder, os.W_OK):
        raise UsageError("cannot write here (permission denied)", folder)
