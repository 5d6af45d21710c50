"""Which banned libraries can be left out of a notebook's sandbox altogether.

An item that asks students to write a convolution themselves bans the library
convolutions (:data:`autograder.judging.contract.LIBRARY_CONVOLUTIONS`). Watching calls inside the
kernel (``convgrade_kernel.probe``) and reading the answers' source
(:mod:`autograder.judging.library_use`) raise the bar, but the student's code shares the kernel
with the watcher. What is not in the sandbox cannot be called by any means, so for a
notebook with such items every banned package that the assignment itself does not need
is made absent: bubblewrap mounts an empty folder over it
(:class:`autograder.isolation.sandbox.Sandbox`, ``hidden_modules``).

"Needed" is what the teacher's source notebook imports, loaded once in the students'
interpreter (a package it pulls in, as scikit-learn pulls in ``scipy.ndimage``, stays),
plus what an assignment's checks module names in ``LIBRARIES_NEEDED`` (ps3's students
may resize photographs with scikit-image, which calls ``scipy.ndimage``). NumPy's own
``convolve`` cannot be taken out of NumPy; it stays banned by the watcher and the scan.
"""
from __future__ import annotations

import ast
import functools
import json
import subprocess

from autograder.isolation.sandbox import THREAD_ENV
from autograder.judging.contract import LIBRARY_CONVOLUTIONS
from autograder.judging.library_use import FORBIDDEN_MODULES

#: Packages that hold banned convolutions and that a sandbox can do without.
BANNED_PACKAGES = tuple(sorted(
    {".".join(name.split(".")[:2]) if name.startswith("scipy.") else name.split(".")[0]
     for name in LIBRARY_CONVOLUTIONS + FORBIDDEN_MODULES} - {"numpy", "reference"}))

#: Run in the students' interpreter: import what the notebook imports, then say which
#: banned packages that loaded and where the others live.
_PROBE = """
import importlib.util, json, sys
wanted = json.loads(sys.argv[1])
for statement in wanted["imports"]:
    try:
        exec(statement, {})
    except Exception:
        pass
found = {}
for name in wanted["packages"]:
    if name in sys.modules:
        found[name] = None
        continue
    try:
        spec = importlib.util.find_spec(name)
    except Exception:
        spec = None
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    found[name] = folders[0] if len(folders) == 1 else None
print(json.dumps(found))
"""


def import_statements(nb):
    """The import statements of a notebook's code cells (inside functions too), each as
    one line of source (``import numpy as np``, ``from skimage import data``)."""
    statements = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse("\n".join(line for line in cell.source.splitlines()
                                       if not line.lstrip().startswith(("%", "!"))))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and not getattr(node, "level", 0):
                statements.append(ast.unparse(node))
    return list(dict.fromkeys(statements))


def absent_libraries(nb, kernel_python, needed=()):
    """``{package: folder}`` of the banned packages a sandbox for ``nb`` can leave out.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The teacher's source notebook.
    kernel_python : path
        The students' interpreter, where the packages are looked up.
    needed : iterable of str
        Packages to keep although the notebook does not import them.
    """
    found = _locate(tuple(import_statements(nb)), str(kernel_python))
    keep = set(needed)
    return {name: folder for name, folder in found.items()
            if folder is not None and not any(name == k or name.startswith(k + ".") for k in keep)}


@functools.lru_cache(maxsize=32)
def _locate(statements, kernel_python):
    """Once per notebook and interpreter: ``{package: folder or None}`` (None: loaded by
    the notebook's imports, or not installed)."""
    argument = json.dumps({"imports": list(statements), "packages": list(BANNED_PACKAGES)})
    done = subprocess.run([kernel_python, "-c", _PROBE, argument], capture_output=True, text=True,
                          timeout=300, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **THREAD_ENV})
    if done.returncode != 0:
        raise RuntimeError("could not look up the banned libraries in %s: %s"
                           % (kernel_python, (done.stderr.strip().splitlines() or ["no output"])[-1]))
    return json.loads(done.stdout.strip().splitlines()[-1])
