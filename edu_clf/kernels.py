"""The optional compiled inner loops (edu_clf/_kernels.c), or None.

hatch_build.py compiles them at install time. Without a C compiler the numpy
paths in vectorize.py and features.py do the same work: same numbers, slower.
Code reads `kernels.KERNELS` at call time, so tests can switch them off.
"""
from __future__ import annotations

from types import ModuleType

VERSION = 1  # must equal KERNELS_VERSION in _kernels.c: a stale build is ignored, not trusted


def _load() -> ModuleType | None:
    try:
        from edu_clf import _kernels
    except ImportError:
        return None
    return _kernels if getattr(_kernels, "VERSION", None) == VERSION else None


KERNELS: ModuleType | None = _load()


def status() -> str:
    """One line for `edu-clf info` and the benchmark: which inner loops run."""
    return "C kernels" if KERNELS is not None else "numpy (C kernels not built)"
