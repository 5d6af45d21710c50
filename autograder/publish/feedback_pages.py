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

The page is a student's to read offline, in the notebook's language
(:func:`autograder.pipeline.rebuild.notebook_language`; every word of the template is a
phrase of :mod:`autograder.language`, and the page says ``<html lang=...>``):
:class:`FeedbackPage` gives the template a summary box first (the score, the
notebook's problems: missing, unreadable, out of time, crashed, and a late submission's
penalty in words, :func:`late_notice`) and each item's title for the contents (its
checks' titles, else the heading above it). Markdown maths is rendered here, to MathML
(:func:`markdown_with_mathml`, with ``latex2mathml``), which Chromium and Firefox draw
without a script; what it cannot convert stays as its TeX text. Feedback messages wrap
(the template's CSS), so no sentence hides behind a scrollbar.
"""
from __future__ import annotations

import html
import logging
import re
from pathlib import Path

import nbgrader
from latex2mathml.converter import convert as latex_to_mathml
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor, Preprocessor
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import GenerateFeedback
from nbgrader.preprocessors import ClearHiddenTests, GetGrades
from traitlets import Bool

from autograder import language
from autograder.course import run_converter
from autograder.errors import ConvgradeError, UnknownStudent
from autograder.inert.sanitize import csp_meta, inert_html, sanitize_notebook
from autograder.pipeline import rebuild
from autograder.pipeline.record import ensure_schema, read_table

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


#: The template's words (``resources.convgrade.words.NAME``): the phrase of each, in the page's language.
PAGE_WORDS = {"contents": "page_contents", "summary": "page_summary", "top": "page_top",
              "your_answer": "page_your_answer", "your_task": "page_your_task", "check": "page_check",
              "comments": "page_comments", "score_of": "page_score", "total": "page_total",
              "late_penalty": "page_late_penalty"}
#: A notebook-level problem (``convgrade_submission.status``) and the phrase that tells the student.
STATUS_NOTICES = {"missing": "page_missing", "corrupt": "page_corrupt", "timeout": "page_timeout",
                  "crashed": "page_crashed", "error": "page_error"}
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


class FeedbackPage(Preprocessor):
    """What the template needs beyond nbgrader's: ``resources["convgrade"]`` gets ``lang``
    (the notebook's language), ``words`` (the template's phrases in it), ``titles``
    (``{grade id: the item's title}``) and ``notices`` (sentences for the summary box:
    the notebook's problem, the late penalty). Runs before ClearHiddenTests, which
    removes the check calls the language and titles are read from."""

    enabled = Bool(True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._facts = {}  # (db_url, assignment) -> submission_facts: read once per converter run, not per page

    def preprocess(self, nb, resources):
        lang = rebuild.notebook_language(nb)
        info = resources.get("nbgrader", {})
        page = resources.setdefault("convgrade", {})
        notices = []
        if info.get("db_url"):
            key = (info["db_url"], info.get("assignment"))
            if key not in self._facts:
                self._facts[key] = submission_facts(*key)
            notices = submission_notices(self._facts[key].get(info.get("student")), lang)
        page.update(lang=lang, words={k: language.phrase(v, lang) for k, v in PAGE_WORDS.items()},
                    titles=item_titles(nb, lang), notices=notices)
        return nb, resources


def item_titles(nb, lang):
    """``{grade id: title}`` of every graded or task cell of ``nb``: the titles of the
    checks a test cell calls (:func:`autograder.language.title`), else the last Markdown
    heading of the teacher's above the cell (a written answer's headings are the
    student's), else the grade id. Plain text: the template escapes it."""
    titles, heading = {}, None
    for cell in nb.cells:
        if cell.cell_type == "markdown" and not rebuild.is_solution(cell):
            found = _HEADING.findall(cell.source)
            heading = found[-1].strip() if found else heading
        if not (rebuild.is_grade(cell) or rebuild.is_task(cell)):
            continue
        checks = rebuild.check_ids(cell.source) if cell.cell_type == "code" and rebuild.is_test_cell(cell) else []
        titles[rebuild.grade_id(cell)] = "; ".join(language.title(c, lang) for c in checks) or heading \
            or rebuild.grade_id(cell)
    return titles


def submission_facts(db_url, assignment):
    """``{student: (their convgrade_submission row, nbgrader's seconds late)}`` for every
    recorded submission of ``assignment``: one read of each table for the whole class."""
    table = read_table(db_url, "submission")
    rows = table[table["assignment"] == assignment]
    with Gradebook(db_url) as gradebook:
        try:
            late = {s.student.id: s.total_seconds_late for s in gradebook.assignment_submissions(assignment)}
        except MissingEntry:
            late = {}
    facts = {}
    for _, row in rows.iterrows():
        facts.setdefault(row["student"], (row, late.get(row["student"], 0)))
    return facts


def submission_notices(facts, lang):
    """The sentences about one student's whole submission, from its ``facts`` (an entry of
    :func:`submission_facts`; None: nothing recorded): its problem (``convgrade_submission.status``)
    and its late penalty (:func:`late_notice`)."""
    if facts is None:
        return []
    row, seconds_late = facts
    notices = [language.phrase(STATUS_NOTICES[row["status"]], lang)] if row["status"] in STATUS_NOTICES else []
    lms_late = bool(row.get("lms_late") == 1)  # NULL (NaN) in rows written before the LMS mark was kept
    late = late_notice(seconds_late, _number(row.get("late_penalty")), _number(row.get("max_score")), lang,
                       lms_late=lms_late)
    return notices + ([late] if late else [])


def _number(value):
    """A stored float, 0.0 for NULL/NaN."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if value != value else value


def late_notice(seconds_late, penalty, max_score, lang="en", *, lms_late=False):
    """The sentence on a late submission: how late, what the course's policy took off.

    ``seconds_late`` (<= 0: on time), ``penalty`` (points off), ``max_score`` (the
    assignment's marks); ``lms_late``: the LMS marked it late without a measured delay.
    Returns "" for work on time.

    >>> late_notice(2 * 3600, 1.7, 17)
    "Handed in 2 hours late: 10% of the marks (1.7 points) off, per the course's policy."
    """
    if seconds_late and seconds_late > 0:
        if penalty <= 0:
            return language.phrase("page_late_nothing_off", lang) % duration_words(seconds_late, lang)
        return language.phrase("page_late", lang) % (duration_words(seconds_late, lang),
                                                     _penalty_words(penalty, max_score, lang))
    if lms_late and penalty > 0:
        return language.phrase("page_late_unmeasured", lang) % _penalty_words(penalty, max_score, lang)
    return ""


def _penalty_words(penalty, max_score, lang):
    share = 100.0 * penalty / max_score if max_score else 100.0
    return language.phrase("page_late_share", lang) % (_plain(round(share, 1)), _plain(round(penalty, 2)))


def duration_words(seconds, lang="en"):
    """``seconds`` as a student says it: whole days from two days, else hours from one
    hour, else minutes (at least one), rounded to the nearest."""
    for unit, size, threshold in (("day", 86400.0, 2 * 86400.0), ("hour", 3600.0, 3600.0)):
        if seconds >= threshold:
            count = int(round(seconds / size))
            return language.phrase("duration_%s" % unit, lang) if count == 1 else \
                language.phrase("duration_%ss" % unit, lang) % count
    minutes = max(1, int(round(seconds / 60.0)))
    return language.phrase("duration_minute", lang) if minutes == 1 else \
        language.phrase("duration_minutes", lang) % minutes


def _plain(number):
    """``1.0`` as ``1``, ``1.25`` as ``1.25``."""
    return "%g" % number


# -- maths ------------------------------------------------------------------------------------
class MathMLRenderer(IPythonRenderer):
    """nbconvert's Markdown renderer with its maths as MathML instead of TeX for MathJax."""

    def block_math(self, body):
        return tex_to_mathml(body, "block")

    def inline_math(self, body):
        return tex_to_mathml(body, "inline")

    def latex_environment(self, name, body):
        return tex_to_mathml("\\begin{%s}%s\\end{%s}" % (name, body, name), "block")


def tex_to_mathml(tex, display="inline"):
    """``tex`` as a MathML ``<math>`` element (``display`` "inline" or "block"), or, when
    latex2mathml cannot convert it, the TeX itself between its dollars, as text."""
    try:
        return latex_to_mathml(tex, display=display)
    except Exception:  # latex2mathml raises many kinds; any of them leaves the TeX readable
        dollars = "$$" if display == "block" else "$"
        return html.escape("%s%s%s" % (dollars, tex, dollars))


def markdown_with_mathml(source):
    """Markdown ``source`` as sanitised HTML (:func:`autograder.inert.sanitize.inert_html`,
    which keeps MathML), its maths as MathML: the template's filter for every Markdown cell."""
    rendered = MarkdownWithMath(renderer=MathMLRenderer(escape=False, exclude_anchor_links=True)).render(source)
    return inert_html(rendered)


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
        "GenerateFeedback.preprocessors": [FeedbackPage, ClearHiddenTests, InertStudentContent, GetGrades,
                                           CSSHTMLHeaderPreprocessor],
        "ClearHiddenTests.enforce_metadata": False,
        "HTMLExporter.template_name": "convgrade_feedback",
        "HTMLExporter.template_file": "feedback_with_csp.html.j2",
        "HTMLExporter.extra_template_basedirs": TEMPLATE_DIRS,
        # the template's own sanitising, with our sanitizer, behind the preprocessor's
        "HTMLExporter.sanitize_html": True,
        "HTMLExporter.filters": {"clean_html": inert_html, "markdown_with_mathml": markdown_with_mathml}})
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
