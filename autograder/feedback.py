"""``convgrade feedback NAME``: one HTML page per student and notebook.

nbgrader's GenerateFeedback renders ``autograded/STUDENT/NAME/NB.ipynb`` into
``feedback/STUDENT/NAME/NB.html`` with the scores from the gradebook. convgrade adds
one preprocessor in front, nbgrader's own ``ClearHiddenTests``, because the
autograded notebook keeps the full test cells for the teacher's formgrader: the
student's page shows the public asserts only. The test cells' outputs were written
at grading time (:mod:`autograder.grading`): the score, each lost case's message
(inputs described, never shown), the likely misconception in words, and for a wrong
feature map a small figure of expected versus submitted with the wrong cells marked
(:func:`feature_map_figure`). What the student's code printed while the hidden checks
ran is not kept, so it cannot echo hidden inputs.

Nothing a student made runs in the page: :class:`InertStudentContent` passes the
notebook through :func:`autograder.sanitize.sanitize_notebook` (again: a notebook
autograded by an older convgrade, or by stock nbgrader, was not), and the page is
rendered with ``templates/convgrade_feedback``, nbgrader's feedback template less
its MathJax (from a CDN) and with :data:`autograder.sanitize.CONTENT_SECURITY_POLICY`
first in its head.
"""
from __future__ import annotations

import base64
import io
import logging
from pathlib import Path

import nbgrader
import numpy as np
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from autograder.course import run_converter
from autograder.errors import ConvgradeError, UnknownStudent
from autograder.sanitize import csp_meta, inert_html, sanitize_notebook

log = logging.getLogger(__name__)
MAX_FIGURE_CELLS = 48  # a side longer than this is not drawn (the message says enough)
#: convgrade's feedback template (templates/convgrade_feedback), and nbgrader's, which it extends.
TEMPLATE_DIRS = [str(Path(__file__).parent / "templates"),
                 str(Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates")]


class InertStudentContent(Preprocessor):
    """Make every output and written answer inert (:func:`autograder.sanitize.sanitize_notebook`)
    and hand the page's Content-Security-Policy to the template."""

    enabled = Bool(True)  # nbconvert's preprocessors are off unless enabled

    def preprocess(self, nb, resources):
        resources.setdefault("convgrade", {})["csp_meta"] = csp_meta()
        return sanitize_notebook(nb), resources


def misconception_text(key, lang="en"):
    """The student-facing explanation of misconception ``key`` in ``lang`` (English
    where there is no version in ``lang``; the key itself for an unknown key)."""
    from autograder.diagnosis import MISCONCEPTIONS, MISCONCEPTIONS_NL

    if lang == "nl" and key in MISCONCEPTIONS_NL:
        return MISCONCEPTIONS_NL[key]
    return MISCONCEPTIONS.get(key, key)


def feature_map_figure(expected, submitted):
    """A PNG (base64 text) of ``expected`` beside ``submitted`` with wrong cells marked.

    Parameters
    ----------
    expected, submitted : array_like
        Feature maps, ``(W,)``, ``(H, W)`` or ``(H, W, F)`` (the first channel with a
        wrong entry is drawn). Entries differing by more than ``1e-6`` (absolute and
        relative) get a red frame; with different shapes both are drawn unmarked.

    Returns
    -------
    str or None
        None when either is not a small numeric array (nothing useful to draw).
    """
    try:
        exp = np.asarray(expected, dtype=float)
        sub = np.asarray(submitted, dtype=float)
    except (TypeError, ValueError):
        return None
    exp, sub, title = _drawable(exp, sub)
    if exp is None or max(exp.shape + sub.shape) > MAX_FIGURE_CELLS:
        return None
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    figure = Figure(figsize=(6.4, 3.2), dpi=80)
    vmin = float(np.nanmin([np.nanmin(exp), np.nanmin(sub)])) if exp.size and sub.size else 0.0
    vmax = float(np.nanmax([np.nanmax(exp), np.nanmax(sub)])) if exp.size and sub.size else 1.0
    same = exp.shape == sub.shape
    wrong = ~np.isclose(sub, exp, rtol=1e-6, atol=1e-6, equal_nan=True) if same else None
    for position, (label, data) in enumerate((("expected", exp), ("yours", sub)), start=1):
        axes = figure.add_subplot(1, 2, position)
        axes.imshow(data, cmap="viridis", vmin=vmin, vmax=vmax if vmax > vmin else vmin + 1,
                    interpolation="nearest")
        axes.set_title("%s %s" % (label, "x".join(map(str, data.shape))), fontsize=9)
        axes.set_xticks([])
        axes.set_yticks([])
        if wrong is not None and label == "yours":
            for r, c in zip(*np.nonzero(wrong)):
                axes.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=1.5))
    wrong_count = int(wrong.sum()) if wrong is not None else None
    figure.suptitle(title + ("; %d of %d cells wrong (red)" % (wrong_count, wrong.size)
                             if wrong is not None else "; the shapes differ"), fontsize=9)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _drawable(exp, sub):
    """Both as 2-D arrays, and a title; (None, None, "") if they are not drawable."""
    title = "expected vs your feature map"
    if exp.ndim == 3 and sub.ndim == 3 and exp.shape == sub.shape:
        bad = [f for f in range(exp.shape[2])
               if not np.allclose(sub[..., f], exp[..., f], rtol=1e-6, atol=1e-6, equal_nan=True)]
        channel = bad[0] if bad else 0
        return exp[..., channel], sub[..., channel], "%s (channel %d)" % (title, channel)
    if exp.ndim == 1:
        exp = exp[None, :]
    if sub.ndim == 1:
        sub = sub[None, :]
    if exp.ndim != 2 or sub.ndim != 2 or not exp.size or not sub.size:
        return None, None, ""
    return exp, sub, title


def _submissions_in_gradebook(course, assignment):
    """Students with a submission of ``assignment`` in nbgrader's gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    from autograder.store import ensure_schema

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
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.converters import GenerateFeedback
    from nbgrader.preprocessors import ClearHiddenTests, GetGrades

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
