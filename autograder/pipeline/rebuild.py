"""Stage 1, rebuild: a submission remade from the teacher's notebook (``docs/architecture.md``).

A student's notebook is trusted for one thing only: the text of its answer cells.
Everything else comes from the teacher's files. :func:`rebuild_notebook` is the stage:
it reads the three notebooks and gives a :class:`Rebuilt`, plain data for the stages
after it. Its parts:

- :func:`read_submitted` reads the file defensively (UTF-8 JSON, nbformat 4, size
  limit) and drops the student's outputs at once, so a 50 MB notebook full of images
  costs its parse and no more;
- :func:`merge_answers` walks ``source/NAME/NB.ipynb`` and, for every nbgrader
  *solution* cell, takes the source text of the student's cell with the same
  ``grade_id`` (falling back to the cell ``id``); cell types and metadata come from
  the release (which carries nbgrader's checksums), every other cell from the source;
- :func:`execution_notebook` is the merged notebook with each autograded test cell
  reduced to its ``convgrade_kernel`` imports and ``check(...)`` calls, so no public
  assert can stop a hidden check and no hidden code reaches the student's kernel;
- :func:`autograded_notebook` is the merged notebook (full test cells, hidden tests
  included, for the teacher's formgrader) with the executed outputs, the test cells'
  outputs replaced by the feedback, and everything the student controls (outputs,
  written answers) made inert by :func:`autograder.inert.sanitize.sanitize_notebook`.
"""
from __future__ import annotations

import ast
import copy
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field

import nbformat
from nbgrader import utils as nbutils

from autograder import language
from autograder.errors import CorruptNotebook
from autograder.inert.sanitize import sanitize_notebook
from autograder.judging import registry

log = logging.getLogger(__name__)
#: Submitted notebooks above this size are refused as corrupt (none is that big honestly).
MAX_NOTEBOOK_BYTES = 128 * 1024 ** 2
KERNEL_MODULE = "convgrade_kernel"
_CHECK_CALL = re.compile(r"""\bcheck\(\s*(?P<q>["'])(?P<id>[^"']+)(?P=q)""")
_KEEP_LINE = re.compile(r"^\s*(import\s+convgrade_kernel\b|from\s+convgrade_kernel\s+import\b|"
                        r"(convgrade_kernel\.)?check\()")


@dataclass(frozen=True)
class Rebuilt:
    """One notebook of a submission, rebuilt.

    ``status`` is ``graded`` when the notebook can run, ``missing`` or ``corrupt`` when it
    cannot (``problem`` says why, in the notebook's language for a missing one, and
    ``detail`` in a line for the teacher). ``merged`` (teacher's cells, student's
    answers), ``report`` (:class:`MergeReport`), ``executable`` and ``test_cells``
    (``{cell index: [check ids]}``) are set for a notebook that can run.
    """

    name: str
    lang: str
    source: object
    release: object
    status: str = "graded"
    problem: str = ""
    detail: str = ""
    merged: object = None
    report: object = None
    executable: object = None
    test_cells: dict = field(default_factory=dict)


def rebuild_notebook(name, source_path, release_path, submitted_path):
    """Stage 1: the :class:`Rebuilt` notebook ``name`` of a submission.

    Parameters
    ----------
    name : str
        The notebook's name (``source/ASSIGNMENT/NAME.ipynb``).
    source_path, release_path, submitted_path : pathlib.Path
        The teacher's source and release notebooks, and the student's (which may be
        missing or unreadable: that is the submission's problem, not an error).
    """
    source_nb, release_nb = read_teacher(source_path), read_teacher(release_path)
    lang = notebook_language(source_nb)
    if not submitted_path.is_file():
        return Rebuilt(name, lang, source_nb, release_nb, "missing", language.phrase("not_submitted", lang) % name,
                       "%s.ipynb missing" % name)
    try:
        submitted = read_submitted(submitted_path)
        merged, report = merge_answers(source_nb, submitted, release_nb, notebook="%s.ipynb" % name)
    except CorruptNotebook as exc:
        return Rebuilt(name, lang, source_nb, release_nb, "corrupt",
                       language.phrase("corrupt_notebook", lang) % (name, exc), str(exc))
    executable, test_cells = execution_notebook(merged)
    return Rebuilt(name, lang, source_nb, release_nb, merged=merged, report=report, executable=executable,
                   test_cells=test_cells)


def notebook_language(nb):
    """The language of a notebook's feedback: that of most of the checks its test cells
    call (``"en"`` when it calls none)."""
    langs = Counter()
    for cell in nb.cells:
        if cell.cell_type == "code" and is_test_cell(cell):
            for check_id in check_ids(cell.source):
                try:
                    langs[registry.get(check_id).lang] += 1
                except KeyError:  # an unknown id is reported where the check is run
                    pass
    return langs.most_common(1)[0][0] if langs else "en"


# -- reading ----------------------------------------------------------------------------
def read_submitted(path, *, max_bytes=MAX_NOTEBOOK_BYTES):
    """Read a submitted notebook, or raise :class:`CorruptNotebook` saying why not.

    Outputs are dropped on reading (grading runs the code again). Sources given as
    lists of lines are joined.

    Raises
    ------
    CorruptNotebook
        Larger than ``max_bytes``, not UTF-8, not JSON, not a notebook nbformat can read
        as nbformat 4 (an nbformat 3 or 2 notebook is upgraded, as stock nbgrader does).
    """
    name = getattr(path, "name", str(path))
    size = path.stat().st_size
    if size > max_bytes:
        raise CorruptNotebook("%s is %.0f MB, more than the %.0f MB a notebook may have"
                              % (name, size / 2 ** 20, max_bytes / 2 ** 20))
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorruptNotebook("%s is not UTF-8 text (byte 0x%02x at offset %d); save it again from "
                              "Jupyter" % (name, raw[exc.start], exc.start)) from None
    del raw
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        where = "line %d column %d: %s" % (exc.lineno, exc.colno, exc.msg) \
            if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        raise CorruptNotebook("%s is not valid JSON (%s); the file was damaged or is not a notebook"
                              % (name, where)) from None
    del text
    if not isinstance(data, dict):
        raise CorruptNotebook("%s is JSON but not a notebook (top level is a %s)" % (name, type(data).__name__))
    major = data.get("nbformat")
    if "worksheets" in data or (isinstance(major, int) and major < 4):
        data = _upgraded(data, name)
        major = data.get("nbformat")
    if major != 4 or not isinstance(data.get("cells"), list):
        raise CorruptNotebook("%s is not an nbformat 4 notebook (nbformat=%r, cells missing or not a list)"
                              % (name, major))
    cells = []
    for cell in data["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            continue  # a damaged cell cannot be an answer; the source supplies the rest
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        elif not isinstance(source, str):
            source = ""
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        kept = {"cell_type": cell["cell_type"], "source": source, "metadata": metadata,
                "id": cell.get("id") if isinstance(cell.get("id"), str) else None}
        if cell["cell_type"] != "code" and isinstance(cell.get("attachments"), dict):
            kept["attachments"] = cell["attachments"]  # a picture pasted into a written answer
        cells.append(kept)
    data = None
    return nbformat.from_dict({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})


def _upgraded(data, name):
    """An older notebook (nbformat 2 or 3: cells in ``worksheets``, code in ``input``) as
    an nbformat 4 dict, by nbformat's own converter."""
    major = data.get("nbformat")
    try:
        if not isinstance(major, int) or not 2 <= major < 4:
            raise ValueError("nbformat=%r" % (major,))
        upgraded = nbformat.convert(nbformat.from_dict(data), 4)
    except Exception as exc:  # a damaged old notebook: nbformat's converters raise anything
        raise CorruptNotebook("%s is an old notebook (nbformat %s) that could not be converted to "
                              "nbformat 4 (%s); open and save it with Jupyter 4 or later"
                              % (name, major, " ".join(str(exc).split())[:200] or type(exc).__name__)) from None
    log.info("%s: read an nbformat %s notebook as nbformat 4", name, major)
    return upgraded


def read_teacher(path):
    """Read a source or release notebook (the teacher's files; errors are real errors)."""
    return nbformat.read(str(path), as_version=4)


# -- cell kinds -------------------------------------------------------------------------
def grade_id(cell):
    return (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")


def is_solution(cell):
    return bool(cell.get("metadata", {}).get("nbgrader")) and nbutils.is_solution(cell)


def is_grade(cell):
    return bool(cell.get("metadata", {}).get("nbgrader")) and nbutils.is_grade(cell)


def is_task(cell):
    return bool(cell.get("metadata", {}).get("nbgrader")) and nbutils.is_task(cell)


def is_test_cell(cell):
    """An autograded test cell: a graded code cell that is not an answer cell."""
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def points(cell):
    """A graded cell's nbgrader points (0 when it states none)."""
    return float(cell.metadata["nbgrader"].get("points", 0) or 0)


# -- merging ----------------------------------------------------------------------------
@dataclass
class MergeReport:
    """How the student's cells were found: ``by_grade_id``/``by_cell_id`` hold the grade
    ids matched each way, ``missing`` those not found (the release stub stands in)."""

    by_grade_id: list = field(default_factory=list)
    by_cell_id: list = field(default_factory=list)
    missing: list = field(default_factory=list)


def merge_answers(source_nb, submitted_nb, release_nb=None, *, notebook="notebook"):
    """The source notebook with the student's answers in its solution cells.

    Parameters
    ----------
    source_nb, submitted_nb, release_nb : NotebookNode
        The teacher's source, the student's notebook (see :func:`read_submitted`),
        the released version (metadata with checksums; stubs for missing answers).

    Returns
    -------
    merged : NotebookNode
    report : MergeReport

    Raises
    ------
    CorruptNotebook
        The source has answer cells and not one of them is in the submission (by
        grade id or cell id): it is another notebook.
    """
    by_grade, by_id = {}, {}
    for cell in submitted_nb.cells:
        gid = grade_id(cell)
        if gid and gid not in by_grade:  # the first of duplicated ids wins, as nbgrader's DeduplicateIds
            by_grade[gid] = cell
        if cell.get("id") and cell["id"] not in by_id:
            by_id[cell["id"]] = cell
    released = {}
    for cell in (release_nb.cells if release_nb is not None else []):
        if grade_id(cell):
            released[grade_id(cell)] = cell

    merged = copy.deepcopy(source_nb)
    report = MergeReport()
    for index, cell in enumerate(merged.cells):
        gid = grade_id(cell)
        if gid and gid in released:
            cell.metadata = copy.deepcopy(released[gid].metadata)
        if not (gid and is_solution(cell)):
            continue
        theirs = by_grade.get(gid)
        if theirs is not None:
            report.by_grade_id.append(gid)
        else:
            theirs = by_id.get(cell.get("id")) if cell.get("id") else None
            if theirs is not None:
                report.by_cell_id.append(gid)
        if theirs is None:
            report.missing.append(gid)
            stub = released.get(gid)
            cell.source = stub.source if stub is not None else _stub_for(cell)
        else:
            cell.source = theirs.source
            if cell.cell_type != "code" and theirs.get("attachments"):
                cell.attachments = copy.deepcopy(theirs.attachments)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    answers = len(report.by_grade_id) + len(report.by_cell_id) + len(report.missing)
    if answers and not (report.by_grade_id or report.by_cell_id):
        shown = ", ".join(report.missing[:4]) + (", ..." if len(report.missing) > 4 else "")
        raise CorruptNotebook("%s does not look like this assignment's notebook: none of its %d answer "
                              "cells (%s) is in it" % (notebook, answers, shown))
    return merged, report


def placeholder_notebook(source_nb, release_nb, message):
    """The autograded notebook of a notebook that could not be graded (missing or
    corrupt): the release's answer stubs, and ``message`` as every test cell's output,
    so the student's feedback says what happened."""
    merged = copy.deepcopy(source_nb)
    released = {grade_id(c): c for c in release_nb.cells if grade_id(c)}
    for cell in merged.cells:
        gid = grade_id(cell)
        if gid in released:
            cell.metadata = copy.deepcopy(released[gid].metadata)
            if is_solution(cell):
                cell.source = released[gid].source
        if cell.cell_type == "code":
            cell.execution_count = None
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=message + "\n")] \
                if is_test_cell(cell) else []
    return merged


def _stub_for(cell):
    return "# YOUR CODE HERE\nraise NotImplementedError()" if cell.cell_type == "code" else "YOUR ANSWER HERE"


# -- test cells -------------------------------------------------------------------------
def check_ids(source):
    """The check ids a test cell's source calls, in order: ``["ps2.conv2d", ...]``."""
    return reduce_test_cell(source)[1]


def reduce_test_cell(source):
    """Keep only a test cell's ``convgrade_kernel`` imports and ``check(...)`` calls.

    Returns
    -------
    reduced : str
        The kept statements, one per line, in their order.
    ids : list of str
        The check ids called.
    """
    tree = _parse(source)
    if tree is None:  # IPython syntax in a teacher's cell: keep the lines that look right
        kept = [line.strip() for line in source.splitlines() if _KEEP_LINE.match(line)]
        return "\n".join(kept), [m.group("id") for m in _CHECK_CALL.finditer("\n".join(kept))]
    kept, ids = [], []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) and _imports_kernel(node):
            kept.append(ast.unparse(node))
        elif isinstance(node, ast.Expr) and _check_id(node.value):
            kept.append(ast.unparse(node))
            ids.append(_check_id(node.value))
    return "\n".join(kept), ids


def unreached_answers(merged):
    """The names solution code cells of ``merged`` set only below a top-level
    ``raise NotImplementedError()``: the cell stops at the raise, so those answers never
    ran (the student typed under the stub instead of replacing it). A frozenset of str."""
    names = set()
    for cell in merged.cells:
        if cell.cell_type != "code" or not is_solution(cell):
            continue
        tree = _parse(cell.source)
        body = tree.body if tree is not None else []
        raises = [i for i, node in enumerate(body) if _raises_not_implemented(node)]
        if not raises:
            continue
        before = {n.id for node in body[:raises[0]] for n in ast.walk(node)
                  if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        names.update(n.id for node in body[raises[0] + 1:] for n in ast.walk(node)
                     if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id not in before)
    return frozenset(names)


def _raises_not_implemented(node):
    exc = node.exc if isinstance(node, ast.Raise) else None
    exc = exc.func if isinstance(exc, ast.Call) else exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def _parse(source):
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def _imports_kernel(node):
    if isinstance(node, ast.Import):
        return any(alias.name.split(".")[0] == KERNEL_MODULE for alias in node.names)
    return (node.module or "").split(".")[0] == KERNEL_MODULE


def _check_id(node):
    """``"ps2.conv2d"`` when ``node`` is ``check("ps2.conv2d", ...)`` or
    ``convgrade_kernel.check("ps2.conv2d", ...)``, else None."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    func = node.func
    named = (isinstance(func, ast.Name) and func.id == "check") or \
        (isinstance(func, ast.Attribute) and func.attr == "check")
    first = node.args[0]
    if named and isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    return None


def execution_notebook(merged, *, kernel_name="convgrade-student"):
    """The notebook the student's kernel runs.

    Returns
    -------
    nb : NotebookNode
        ``merged`` with outputs cleared, the student kernel spec, and each test cell
        that calls checks reduced to those calls (cells are neither added nor removed,
        so indices match ``merged``).
    test_cells : dict
        ``{cell index: [check ids]}`` for the reduced test cells.
    """
    nb = copy.deepcopy(merged)
    nb.metadata["kernelspec"] = {"name": kernel_name, "display_name": "Python 3 (convgrade student)",
                                 "language": "python"}
    test_cells = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        if is_test_cell(cell):
            reduced, ids = reduce_test_cell(cell.source)
            if ids:
                cell.source = reduced
                test_cells[index] = ids
    return nb, test_cells


def autograded_notebook(merged, executed, feedback):
    """The notebook kept in ``autograded/``: teacher's cells, student's answers, outputs.

    Parameters
    ----------
    merged : NotebookNode
        From :func:`merge_answers` (full test cells, hidden tests included).
    executed : NotebookNode or None
        The executed :func:`execution_notebook` (same cells); None when nothing ran.
    feedback : dict
        ``{cell index: [output, ...]}``: the outputs a test cell shows instead of what
        it printed while running (which could echo hidden inputs).
    """
    nb = copy.deepcopy(merged)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        ran = executed.cells[index] if executed is not None and index < len(executed.cells) else None
        if index in feedback:
            cell.outputs = [nbformat.from_dict(o) for o in feedback[index]]
        elif ran is not None and ran.cell_type == "code":
            cell.outputs = copy.deepcopy(ran.get("outputs", []))
        else:
            cell.outputs = []
        cell.execution_count = ran.get("execution_count") if ran is not None else None
    return sanitize_notebook(nb)  # formgrader renders it as it is: nothing the student made may run
