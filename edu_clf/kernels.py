"""The optional compiled inner loops (edu_clf/_kernels.c), or None.

hatch_build.py compiles them at install time. Without a C compiler the numpy
paths in vectorize.py and features.py do the same work: same numbers, slower.
Code reads `kernels.KERNELS` at call time, so tests can switch them off, and
EDU_CLF_NO_KERNELS=1 switches them off for a whole run (CI runs the parity-critical
tests once more that way). When they are not built, the first use warns once.
"""
from __future__ import annotations

import importlib
import os
import warnings
from types import ModuleType

VERSION = 6  # must equal KERNELS_VERSION in _kernels.c: a stale build is ignored, not trusted


def _load(name: str, version: int) -> ModuleType | None:
    """The compiled module edu_clf.<name> if it is built and of this version, else None."""
    if os.environ.get("EDU_CLF_NO_KERNELS", "") not in ("", "0"):
        return None
    try:
        module = importlib.import_module(f"edu_clf.{name}")
    except ImportError:
        from edu_clf.errors import EduClfWarning
        warnings.warn(f"the compiled inner loops ({name}) are not built: the numpy/Python paths give the same "
                      f"labels, slower (reinstall with a C compiler: pip install -e .)", EduClfWarning, stacklevel=2)
        return None
    return module if getattr(module, "VERSION", None) == version else None


KERNELS: ModuleType | None = _load("_kernels", VERSION)



def status() -> str:
    """One line for `edu-clf info` and the benchmark: which inner loops run."""
    return "C kernels" if KERNELS is not None else "numpy (C kernels not built)"
