"""Build hook: compile edu_clf/_kernels.c, the optional C inner loops of the TF-IDF vectorizer.

Without a C compiler the build still succeeds (with a warning) and edu-clf uses
its numpy path, which gives the same numbers, slower. An editable install
(`pip install -e .`) puts the compiled module next to the sources; a wheel
carries it inside and gets a platform tag. Set EDU_CLF_NO_KERNELS=1 to skip.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

MODULE = "edu_clf._kernels"
SOURCE = os.path.join("edu_clf", "_kernels.c")


def compile_kernels(root: str, out_dir: str) -> str:
    """Compile the extension with setuptools' build_ext (any platform's compiler); return its path."""
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    args = ["/O2"] if os.name == "nt" else ["-O3"]
    dist = Distribution({"name": "edu-clf-kernels",
                         "ext_modules": [Extension(MODULE, [SOURCE], extra_compile_args=args)]})
    cmd = build_ext(dist)
    cmd.build_lib = out_dir
    cmd.build_temp = os.path.join(out_dir, "tmp")
    cwd = os.getcwd()
    os.chdir(root)  # sources are given relative to the project root
    try:
        cmd.ensure_finalized()
        cmd.run()
    finally:
        os.chdir(cwd)
    return cmd.get_ext_fullpath(MODULE)


class KernelsBuildHook(BuildHookInterface):
    PLUGIN_NAME = "kernels"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if os.environ.get("EDU_CLF_NO_KERNELS"):
            return
        out_dir = tempfile.mkdtemp(prefix="edu-clf-kernels-")
        try:
            built = compile_kernels(self.root, out_dir)
        except Exception as exc:  # no compiler, no headers: the numpy path takes over
            self.app.display_warning(f"edu-clf: C kernels not built ({type(exc).__name__}: {exc}); "
                                     "the numpy path will be used (same results, slower)")
            shutil.rmtree(out_dir, ignore_errors=True)
            return
        name = os.path.basename(built)
        if version == "editable":
            shutil.copy2(built, os.path.join(self.root, "edu_clf", name))
            shutil.rmtree(out_dir, ignore_errors=True)
        else:
            build_data["force_include"][built] = f"edu_clf/{name}"
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
