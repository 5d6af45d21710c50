"""``convgrade release NAME``: nbgrader's generate_assignment into ``release/NAME/``.

nbgrader's own converter does the work (solutions cleared, hidden tests removed,
checksums computed, cells locked); as a side effect it registers the assignment,
its notebooks and their graded cells in the gradebook, which grading needs.

A ``release/NAME`` that already exists is kept when it is exactly what generation would
write (the assignment is registered all the same), and refused when it differs, unless
``force``: a teacher's edits to a released notebook are never overwritten silently.
"""
from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.converters import GenerateAssignment

from autograder.course import run_converter
from autograder.errors import ConvgradeError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Release:
    """What ``release_assignment`` did: ``notebooks`` is ``{notebook name: path of the
    released notebook}``; ``up_to_date`` is True when ``release/NAME`` was kept as it was."""

    notebooks: dict
    up_to_date: bool = False


def release_assignment(course, name, *, force=False):
    """Generate ``release/NAME`` from ``source/NAME`` and register it in the gradebook.

    Parameters
    ----------
    course : autograder.course.Course
    name : str
        An assignment in ``source/``.
    force : bool
        Regenerate an existing ``release/NAME`` even where it differs from what generation
        writes (without it, such a folder is an error; an identical one is kept).

    Returns
    -------
    Release
    """
    course.require_assignment(name)
    target = course.release_dir / name
    if target.exists() and not force:
        with tempfile.TemporaryDirectory(prefix="convgrade-release-") as scratch:
            fresh = Path(scratch) / "release"
            # generated beside, against a throw-away gradebook: a refusal changes nothing
            _generate(course, name, fresh, "sqlite:///%s" % (Path(scratch) / "gradebook.db"))
            difference = first_difference(fresh / name, target)
        if difference:
            raise ConvgradeError("release/%s differs from what source/%s generates (%s); pass --force to "
                                 "generate it again" % (name, name, difference))
        with tempfile.TemporaryDirectory(prefix="convgrade-release-") as scratch:
            _generate(course, name, Path(scratch), course.db_url)  # registers it; release/NAME is not touched
        log.info("release/%s is up to date; registered in the gradebook", name)
        return Release(course.release_notebooks(name), up_to_date=True)
    _generate(course, name, None, course.db_url, force=force)
    released = course.release_notebooks(name)
    missing = sorted(set(course.notebook_names(name)) - set(released))
    if missing:
        raise ConvgradeError("nbgrader did not write release/%s/%s.ipynb (see its log above)"
                             % (name, missing[0]))
    log.info("released %s: %s", name, ", ".join(sorted(released)))
    return Release(released)


def _generate(course, name, release_root, db_url, force=False):
    """nbgrader's GenerateAssignment of ``name`` into ``release_root/NAME`` (None: the
    course's ``release/``), registering it in the gradebook at ``db_url``."""
    overrides = {"BaseConverter.force": bool(force), "GenerateAssignment.create_assignment": True,
                 "CourseDirectory.db_url": db_url}
    if release_root is not None:
        overrides["CourseDirectory.release_directory"] = str(release_root)  # absolute: nbgrader joins it as is
    config = course.nbgrader_config(**overrides)
    coursedir = course.coursedir(**overrides, **{"CourseDirectory.assignment_id": name})
    run_converter(GenerateAssignment(coursedir=coursedir, config=config), "generate release/%s" % name)


def first_difference(fresh, kept):
    """How folder ``kept`` differs from ``fresh`` (what generation wrote), in a few words, or
    None when every file is the same (hidden files and folders, like checkpoints, aside)."""
    fresh_files, kept_files = _files(fresh), _files(kept)
    for rel in sorted(set(fresh_files) | set(kept_files)):
        if rel not in kept_files:
            return "%s is missing" % rel
        if rel not in fresh_files:
            return "%s is not generated from source/" % rel
        if fresh_files[rel].read_bytes() != kept_files[rel].read_bytes():
            return "%s differs%s" % (rel, _cell_difference(fresh_files[rel], kept_files[rel]))
    return None


def _files(folder):
    return {str(p.relative_to(folder)): p for p in sorted(Path(folder).rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)}


def _cell_difference(fresh, kept):
    """``" at cell ID"`` for the first cell of notebook ``kept`` unlike ``fresh``'s, else ""."""
    if fresh.suffix != ".ipynb":
        return ""
    try:
        fresh_nb, kept_nb = (nbformat.read(str(p), as_version=4) for p in (fresh, kept))
    except Exception:  # an unreadable notebook: the file differs, no cell to name
        return ""
    for index in range(max(len(fresh_nb.cells), len(kept_nb.cells))):
        if index >= len(fresh_nb.cells) or index >= len(kept_nb.cells):
            return " (%d cells instead of %d)" % (len(kept_nb.cells), len(fresh_nb.cells))
        a, b = fresh_nb.cells[index], kept_nb.cells[index]
        if (a.cell_type, a.source, a.metadata) != (b.cell_type, b.source, b.metadata):
            cell = a.metadata.get("nbgrader", {}).get("grade_id") or a.get("id") or index + 1
            return " at cell %r" % cell
    return " (notebook metadata)"
