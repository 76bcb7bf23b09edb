"""The optional compiled inner loops (edu_clf/_kernels.c), or None.

hatch_build.py compiles them at install time. Without a C compiler the numpy
paths in vectorize.py and features.py do the same work: same numbers, slower.
Code reads `kernels.KERNELS` at call time, so tests can switch them off.

`SEGSCAN` is the same for the segmenter's character scans (edu_clf/_segscan.c),
with segment.py's Python methods as the fallback: same documents, slower.
"""
from __future__ import annotations

import importlib
from types import ModuleType

VERSION = 5  # must equal KERNELS_VERSION in _kernels.c: a stale build is ignored, not trusted


def _load(name: str, version: int) -> ModuleType | None:
    """The compiled module edu_clf.<name> if it is built and of this version, else None."""
    try:
        module = importlib.import_module(f"edu_clf.{name}")
    except ImportError:
        return None
    return module if getattr(module, "VERSION", None) == version else None


KERNELS: ModuleType | None = _load("_kernels", VERSION)

SEGSCAN_VERSION = 1  # must equal SEGSCAN_VERSION in _segscan.c
SEGSCAN: ModuleType | None = _load("_segscan", SEGSCAN_VERSION)


def status() -> str:
    """One line for `edu-clf info` and the benchmark: which inner loops run."""
    return ("C kernels" if KERNELS is not None else "numpy (C kernels not built)") \
        + ("; C segmenter scans" if SEGSCAN is not None else "; Python segmenter scans (C not built)")
