"""The suite's parity-critical tests pass once more with the compiled inner loops switched off for the
whole process (EDU_CLF_NO_KERNELS=1), as on a machine without a C compiler."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARITY = ["tests/test_runtime.py", "tests/test_vectorize.py", "tests/test_segment.py", "tests/test_features.py"]


def test_switch_turns_the_kernels_off():
    code = "from edu_clf import kernels; print(kernels.KERNELS is None)"
    env = {**os.environ, "EDU_CLF_NO_KERNELS": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    assert out.stdout.split() == ["True"]


def test_parity_tests_pass_without_the_kernels():
    env = {**os.environ, "EDU_CLF_NO_KERNELS": "1"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *PARITY],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:]
    assert " passed" in run.stdout.splitlines()[-1]
