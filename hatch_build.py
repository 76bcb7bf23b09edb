"""Build hook: compile the optional C inner loops, each on its own.

edu_clf/_kernels.c holds the rule-free inner loops (jieba's cut, n-gram counting,
scoring). Without a C compiler the build still succeeds (with a warning) and
edu-clf uses its numpy path, which gives the same results, slower. An editable
install (`pip install -e .`) puts the compiled modules next to the sources; a
wheel carries them inside and gets a platform tag. Set EDU_CLF_NO_KERNELS=1 to
skip it.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

# (module, source, what runs without it)
EXTENSIONS = (
    ("edu_clf._kernels", os.path.join("edu_clf", "_kernels.c"), "the numpy path"),
)


def compile_extension(root: str, out_dir: str, module: str, source: str) -> str:
    """Compile one extension with setuptools' build_ext (any platform's compiler); return its path."""
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    args = ["/O2"] if os.name == "nt" else ["-O3"]
    dist = Distribution({"name": "edu-clf-kernels",
                         "ext_modules": [Extension(module, [source], extra_compile_args=args)]})
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
    return cmd.get_ext_fullpath(module)


class KernelsBuildHook(BuildHookInterface):
    PLUGIN_NAME = "kernels"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if os.environ.get("EDU_CLF_NO_KERNELS"):
            return
        out_dir = tempfile.mkdtemp(prefix="edu-clf-kernels-")
        built = []
        for module, source, fallback in EXTENSIONS:
            try:
                built.append(compile_extension(self.root, os.path.join(out_dir, module), module, source))
            except Exception as exc:  # no compiler, no headers: the fallback takes over
                self.app.display_warning(f"edu-clf: {module} not built ({type(exc).__name__}: {exc}); "
                                         f"{fallback} will be used (same results, slower)")
        if not built:
            shutil.rmtree(out_dir, ignore_errors=True)
            return
        for path in built:
            name = os.path.basename(path)
            if version == "editable":
                shutil.copy2(path, os.path.join(self.root, "edu_clf", name))
            else:
                build_data["force_include"][path] = f"edu_clf/{name}"
        if version == "editable":
            shutil.rmtree(out_dir, ignore_errors=True)
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
