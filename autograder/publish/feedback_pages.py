"""``convgrade feedback NAME``: one HTML page per student and notebook.

nbgrader's GenerateFeedback renders ``autograded/STUDENT/NAME/NB.ipynb`` into
``feedback/STUDENT/NAME/NB.html`` with the scores from the gradebook. convgrade adds
one preprocessor in front, nbgrader's own ``ClearHiddenTests``, because the
autograded notebook keeps the full test cells for the teacher's formgrader: the
student's page shows the public asserts only. The test cells' outputs were written
at grading time (:mod:`autograder.pipeline.feedback`): the score, each lost case's message
(inputs described, never shown), the likely misconception in words, and for a wrong
feature map a small figure of expected versus submitted with the wrong cells marked.

Nothing a student made runs in the page: :class:`InertStudentContent` passes the
notebook through :func:`autograder.inert.sanitize.sanitize_notebook` (again: a notebook
autograded by an older convgrade, or by stock nbgrader, was not), and the page is
rendered with ``templates/convgrade_feedback``, nbgrader's feedback template less
its MathJax (from a CDN) and with :data:`autograder.inert.sanitize.CONTENT_SECURITY_POLICY`
first in its head.
"""
from __future__ import annotations

import logging
from pathlib import Path

import nbgrader
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor, Preprocessor
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import GenerateFeedback
from nbgrader.preprocessors import ClearHiddenTests, GetGrades
from traitlets import Bool

from autograder.course import run_converter
from autograder.errors import ConvgradeError, UnknownStudent
from autograder.inert.sanitize import csp_meta, inert_html, sanitize_notebook
from autograder.pipeline.record import ensure_schema

log = logging.getLogger(__name__)
#: convgrade's feedback template (templates/convgrade_feedback), and nbgrader's, which it extends.
TEMPLATE_DIRS = [str(Path(__file__).resolve().parent.parent / "templates"),
                 str(Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates")]


class InertStudentContent(Preprocessor):
    """Make every output and written answer inert (:func:`autograder.inert.sanitize.sanitize_notebook`)
    and hand the page's Content-Security-Policy to the template."""

    enabled = Bool(True)  # nbconvert's preprocessors are off unless enabled

    def preprocess(self, nb, resources):
        resources.setdefault("convgrade", {})["csp_meta"] = csp_meta()
        return sanitize_notebook(nb), resources


def _submissions_in_gradebook(course, assignment):
    """Students with a submission of ``assignment`` in nbgrader's gradebook."""
    ensure_schema(course.db_url)
    with Gradebook(course.db_url) as gradebook:
        try:
            return {s.student.id for s in gradebook.assignment_submissions(assignment)}
        except MissingEntry:
            return set()


def generate_feedback(course, assignment, students=None):
    """Render ``feedback/STUDENT/ASSIGNMENT/NB.html`` for each autograded student.

    Parameters
    ----------
    course : autograder.course.Course
    assignment : str
    students : list of str, optional
        Default: every student with ``autograded/STUDENT/ASSIGNMENT``.

    Returns
    -------
    list of pathlib.Path
        The HTML files written.
    """
    course.require_assignment(assignment)
    folders = sorted(p.parent.name for p in course.autograded_dir.glob("*/%s" % assignment)
                     if any(p.glob("*.ipynb")))
    recorded = _submissions_in_gradebook(course, assignment)
    graded = [s for s in folders if s in recorded]
    if students:
        for student in students:
            if student not in graded:
                raise UnknownStudent("student %r has no autograded %s; run `convgrade autograde %s` first"
                                     % (student, assignment, assignment))
        graded = list(students)
    if not graded:
        raise ConvgradeError("nothing to render: no autograded/*/%s; run `convgrade autograde %s` first"
                             % (assignment, assignment))
    skipped = sorted(set(folders) - set(recorded))
    if skipped:
        log.warning("no gradebook entry for %s: their autograded notebooks are not rendered", ", ".join(skipped))
    config = course.nbgrader_config(**{
        "BaseConverter.force": True,
        "GenerateFeedback.preprocessors": [ClearHiddenTests, InertStudentContent, GetGrades,
                                           CSSHTMLHeaderPreprocessor],
        "ClearHiddenTests.enforce_metadata": False,
        "HTMLExporter.template_name": "convgrade_feedback",
        "HTMLExporter.template_file": "feedback_with_csp.html.j2",
        "HTMLExporter.extra_template_basedirs": TEMPLATE_DIRS,
        # the template's own sanitising, with our sanitizer, behind the preprocessor's
        "HTMLExporter.sanitize_html": True,
        "HTMLExporter.filters": {"clean_html": inert_html}})
    # one converter for the whole class; one per student when only some are to be rendered
    for pattern in (["*"] if graded == folders else graded):
        coursedir = course.coursedir(**{"CourseDirectory.assignment_id": assignment,
                                        "CourseDirectory.student_id": pattern})
        run_converter(GenerateFeedback(coursedir=coursedir, config=config),
                      "render the feedback of %s" % ("the class" if pattern == "*" else pattern))
    written = []
    for student in graded:
        written.extend(sorted((course.feedback_dir / student / assignment).glob("*.html")))
    return written
