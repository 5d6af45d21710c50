"""``convgrade release NAME``: nbgrader's generate_assignment into ``release/NAME/``.

nbgrader's own converter does the work (solutions cleared, hidden tests removed,
checksums computed, cells locked); as a side effect it registers the assignment,
its notebooks and their graded cells in the gradebook, which grading needs.
"""
from __future__ import annotations

import logging

from nbgrader.converters import GenerateAssignment

from autograder.course import run_converter
from autograder.errors import ConvgradeError

log = logging.getLogger(__name__)


def release_assignment(course, name, *, force=False):
    """Generate ``release/NAME`` from ``source/NAME`` and register it in the gradebook.

    Parameters
    ----------
    course : autograder.course.Course
    name : str
        An assignment in ``source/``.
    force : bool
        Regenerate an existing ``release/NAME`` (otherwise that is an error).

    Returns
    -------
    dict
        ``{notebook name: path of the released notebook}``.
    """
    course.require_assignment(name)
    target = course.release_dir / name
    if target.exists() and not force:
        raise ConvgradeError("release/%s already exists; pass --force to generate it again" % name)
    config = course.nbgrader_config(**{"BaseConverter.force": bool(force),
                                       "GenerateAssignment.create_assignment": True})
    coursedir = course.coursedir(**{"CourseDirectory.assignment_id": name})
    run_converter(GenerateAssignment(coursedir=coursedir, config=config), "generate release/%s" % name)
    released = course.release_notebooks(name)
    missing = sorted(set(course.notebook_names(name)) - set(released))
    if missing:
        raise ConvgradeError("nbgrader did not write release/%s/%s.ipynb (see its log above)"
                             % (name, missing[0]))
    log.info("released %s: %s", name, ", ".join(sorted(released)))
    return released
