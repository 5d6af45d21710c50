"""Stored XSS (issue 9, class 5): nothing a student made runs in a page convgrade or
formgrader shows.

One ps1 class is graded once, through the real ``convgrade release``, ``autograde``
(sandboxed kernels), ``feedback`` and ``report``: ``mallory`` hands in correct answers
plus every payload of :mod:`output_payloads` (HTML, Markdown, SVG and JavaScript
outputs, image metadata, written answers with scripts, handlers, ``javascript:``
links, frames, styles, a refresh), ``honor`` an honest notebook with a table output
and a written answer with a table, maths and a link. The gradebook then gets hostile
names and a hostile misconception for the report.

Pages are opened in Debian's Chromium (Playwright) with every request that is not a
file refused, so no page reaches the network (stock pages ask a CDN for MathJax).
A control test renders mallory's notebook as convgrade wrote it before this issue
(unsanitised) with nbgrader's stock feedback template: the payloads must run there,
or this corpus proves nothing.
"""
from __future__ import annotations

import html
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from corpus_checks import ROOT, convgrade, require_sandbox
from output_payloads import (ASSIGNMENT, HONEST_SENTENCE, KEPT_SENTENCE, PAGE_PROBE, active_content,
                             honest_notebook, hostile_notebook, js)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path(os.environ.get("CONVGRADE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--host-resolver-rules=MAP * ~NOTFOUND"]  # no name resolves: nothing leaves the machine
HOSTILE_FIRST = '<img src="x" onerror="%s">' % js("report-name")
HOSTILE_LAST = "</td><script>%s</script>" % js("report-last-name")
HOSTILE_MISCONCEPTION = '"><svg onload="%s">' % js("report-misconception")
HOSTILE_MESSAGE = "conv raised ValueError('<script>%s</script>')" % js("report-message")


def _nbgrader_templates():
    import nbgrader

    return Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"


# -- the class, graded once ----------------------------------------------------------------
@pytest.fixture(scope="module")
def graded_ps1(tmp_path_factory):
    require_sandbox()
    course = tmp_path_factory.mktemp("xss") / "course"
    (course / "source").mkdir(parents=True)
    shutil.copytree(ROOT / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    convgrade(course, "release", ASSIGNMENT, check=True, timeout=600)
    for student, nb in (("mallory", hostile_notebook("mallory")), ("honor", honest_notebook("honor"))):
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / ("%s.ipynb" % ASSIGNMENT))
        (folder / "timestamp.txt").write_text("2025-03-01 09:00:00.000000 UTC\n", encoding="utf-8")
    submitted = (course / "submitted" / "mallory" / ASSIGNMENT / "ps1.ipynb").read_bytes()
    convgrade(course, "autograde", ASSIGNMENT, "--workers", "2", check=True)
    convgrade(course, "feedback", ASSIGNMENT, check=True)
    _make_gradebook_hostile(course)
    convgrade(course, "report", "--output", str(course / "report.html"), check=True)
    return {"course": course, "submitted": submitted}


def _make_gradebook_hostile(course):
    """LMS names and a misconception (quoting a student's error) with HTML in them."""
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///%s" % (course / "gradebook.db")) as gb:
        gb.update_or_create_student("mallory", first_name=HOSTILE_FIRST, last_name=HOSTILE_LAST)
    with sqlite3.connect(course / "gradebook.db") as db:
        db.execute("UPDATE convgrade_item SET misconception = ?, message = ?, score = 0 "
                   "WHERE student = 'mallory' AND grade_id = 'test_bump'", (HOSTILE_MISCONCEPTION, HOSTILE_MESSAGE))


# -- the browser ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """Debian's Chromium, with every request that is not a local file or data refused."""
    if not CHROMIUM.exists():
        pytest.fail(f"Debian's Chromium is not at {CHROMIUM}: run `make install` as root", pytrace=False)
    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS, headless=True)
        context.refused = []

        def local_only(route):
            url = route.request.url
            if url.startswith(("file:", "data:", "about:")):
                return route.continue_()
            context.refused.append(url)
            return route.abort()

        context.route("**/*", local_only)
        try:
            yield context
        finally:
            context.close()


def probe(context, path):
    """Open ``path``, click every ``pwn-link``, wait for a refresh; what the page did
    (``refused``: the requests it tried beyond local files)."""
    del context.refused[:]
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        page.goto(Path(path).as_uri())
        page.wait_for_timeout(500)
        page.evaluate("() => [...document.querySelectorAll('a')]"
                      ".filter(a => a.textContent.trim() == 'pwn-link').forEach(a => a.click())")
        page.wait_for_timeout(300)
        found = page.evaluate(PAGE_PROBE)
        page.wait_for_timeout(2500)  # the refresh payload waits 2 s
        found["url_later"] = page.url
        found["dialogs"] = dialogs
        found["refused"] = list(context.refused)
        found["policy"] = page.evaluate(
            "() => (document.querySelector('head meta[http-equiv=Content-Security-Policy]') || {}).content")
        return found
    finally:
        page.close()


def assert_inert(found, path, own_page=True):
    """Nothing ran, navigated or asked for input; a page convgrade wrote also asked
    nothing of the network (formgrader's own page asks a CDN for MathJax)."""
    assert found["pwned"] == [] and found["dialogs"] == [], found
    assert not found["title"].startswith("PWNED"), found
    assert found["url_later"] == found["url"] == Path(path).as_uri(), found
    assert found["forms"] == 0 and found["jsLinks"] == 0, found
    assert found["refused"] == [] or not own_page, found


# -- (1) the feedback pages ----------------------------------------------------------------
def test_no_payload_runs_in_the_feedback_page(graded_ps1, chromium):
    from autograder.inert.sanitize import CONTENT_SECURITY_POLICY

    path = graded_ps1["course"] / "feedback" / "mallory" / ASSIGNMENT / "ps1.html"
    found = probe(chromium, path)
    assert_inert(found, path)
    assert found["scoreVisible"], "a student's <style> hid the score"
    assert found["policy"] == CONTENT_SECURITY_POLICY


def test_the_feedback_page_keeps_what_the_student_wrote(graded_ps1):
    page = html.unescape((graded_ps1["course"] / "feedback" / "mallory" / ASSIGNMENT / "ps1.html")
                         .read_text(encoding="utf-8"))
    assert KEPT_SENTENCE in page and "Pooling makes maps smaller." in page
    assert "bold ok" in page and "md output" in page  # the harmless part of the outputs


def test_an_honest_feedback_page_shows_tables_images_and_messages(graded_ps1, chromium):
    path = graded_ps1["course"] / "feedback" / "honor" / ASSIGNMENT / "ps1.html"
    page = path.read_text(encoding="utf-8")
    assert active_content(page.split("</head>", 1)[1]) == []  # the body: the template's and the student's
    found = probe(chromium, path)
    assert_inert(found, path)
    text = html.unescape(page)
    assert "honest-cell" in text and "<b>3</b>" in page                      # the table output
    assert '<th style="text-align:right">largest value</th>' in page         # the Markdown table
    assert "<strong>%s</strong>" % HONEST_SENTENCE in text                   # bold
    assert '<a href="https://example.org/pooling"' in page                   # a plain link
    assert "<mfrac><mrow><mn>1</mn></mrow><mrow><mn>4</mn></mrow></mfrac>" in page  # the maths, as MathML
    assert page.count('src="data:image/png;base64,') >= 5                    # the figures
    assert "The shape is right." in text                                     # the test cells' messages


def test_feedback_pages_hold_no_script_at_all(graded_ps1):
    for student in ("mallory", "honor"):
        page = (graded_ps1["course"] / "feedback" / student / ASSIGNMENT / "ps1.html").read_text(encoding="utf-8")
        assert "<script" not in page, student  # not even the template's MathJax


# -- (2) the autograded notebooks -----------------------------------------------------------
def _autograded(course, student):
    return nbformat.read(course / "autograded" / student / ASSIGNMENT / "ps1.ipynb", as_version=4)


def _by_grade_id(nb):
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}


def test_autograded_notebooks_hold_no_active_content(graded_ps1):
    from autograder.inert.sanitize import KEPT_MIMETYPES, is_written_answer, markdown_html

    for student in ("mallory", "honor"):
        nb = _autograded(graded_ps1["course"], student)
        for cell in nb.cells:
            if is_written_answer(cell):
                assert active_content(markdown_html(cell.source)) == [], (student, cell.source)
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                assert set(data) <= set(KEPT_MIMETYPES) - {"text/markdown", "image/svg+xml"}, data.keys()
                assert active_content(data.get("text/html", "")) == [], data["text/html"]
                assert set(output.get("metadata", {})) <= {"image/png", "image/jpeg"}, output


def test_written_answers_keep_their_text_and_honest_ones_stay_as_typed(graded_ps1):
    by_id = _by_grade_id(_autograded(graded_ps1["course"], "mallory"))
    assert KEPT_SENTENCE in html.unescape(by_id["effect_of_filters"].source)
    honest = _by_grade_id(_autograded(graded_ps1["course"], "honor"))
    typed = _by_grade_id(honest_notebook("honor"))
    assert honest["pooling_effect"].source == typed["pooling_effect"].source


def test_the_submitted_file_is_untouched(graded_ps1):
    submitted = graded_ps1["course"] / "submitted" / "mallory" / ASSIGNMENT / "ps1.ipynb"
    assert submitted.read_bytes() == graded_ps1["submitted"]
    assert b"<script>" in graded_ps1["submitted"]


# -- (3) the notebook as formgrader renders it ----------------------------------------------
def test_no_payload_runs_where_formgrader_renders_the_autograded_notebook(graded_ps1, chromium, tmp_path):
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="formgrade", extra_template_basedirs=[str(_nbgrader_templates())])
    resources = {"assignment_id": ASSIGNMENT, "notebook_id": "ps1", "submission_id": "1", "index": 0, "total": 1,
                 "base_url": "", "student": "mallory", "last_name": "M", "first_name": "M",
                 "notebook_path": "autograded/mallory/ps1/ps1.ipynb"}
    body, _ = exporter.from_filename(str(graded_ps1["course"] / "autograded" / "mallory" / ASSIGNMENT / "ps1.ipynb"),
                                     resources=resources)
    path = tmp_path / "formgrade.html"
    path.write_text(body, encoding="utf-8")
    found = probe(chromium, path)
    assert_inert(found, path, own_page=False)
    assert KEPT_SENTENCE in html.unescape(body)


# -- (4) the teacher's report --------------------------------------------------------------
def test_the_report_escapes_hostile_names_and_misconceptions_and_runs_nothing(graded_ps1, chromium):
    from autograder.inert.sanitize import CONTENT_SECURITY_POLICY

    path = graded_ps1["course"] / "report.html"
    page = path.read_text(encoding="utf-8")
    found = probe(chromium, path)
    assert_inert(found, path)
    assert found["policy"] == CONTENT_SECURITY_POLICY
    assert HOSTILE_FIRST not in page and html.escape(HOSTILE_FIRST) in page
    assert HOSTILE_LAST not in page and HOSTILE_MISCONCEPTION.replace("_", " ") not in page
    assert html.escape(HOSTILE_MISCONCEPTION.replace("_", " ")) in page
    assert active_content(page.split("<body>", 1)[1]) == []  # the head holds the report's own style


# -- the control: the payloads are live -----------------------------------------------------
def test_the_payloads_run_in_stock_nbgraders_feedback_page(graded_ps1, chromium, tmp_path, monkeypatch):
    """mallory's notebook as convgrade wrote it before issue 9 (unsanitised), rendered by
    stock ``nbgrader generate_feedback``: the payloads must run there, else the tests
    above prove nothing."""
    import autograder.pipeline.rebuild as rebuild
    from autograder.course import Course
    from autograder.pipeline.grade import grade_submission

    monkeypatch.setattr(rebuild, "sanitize_notebook", lambda nb: nb)
    result = grade_submission(Course(graded_ps1["course"]), ASSIGNMENT, "mallory")
    stock = shutil.copytree(graded_ps1["course"], tmp_path / "stock")
    (stock / "autograded" / "mallory" / ASSIGNMENT / "ps1.ipynb").write_text(result.notebooks["ps1"], encoding="utf-8")
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "nbgrader"), "generate_feedback", ASSIGNMENT, "--student", "mallory", "--force",
                    "--CourseDirectory.root=%s" % stock], cwd=stock, check=True, capture_output=True, timeout=600,
                   env=dict(os.environ, PATH=os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")])))
    path = stock / "feedback" / "mallory" / ASSIGNMENT / "ps1.html"
    found = probe(chromium, path)
    assert {"html-script", "raw-bundle-img-onerror", "png-width-metadata", "md-script", "md-img-onerror",
            "md-details-ontoggle", "md-javascript-link"} <= set(found["pwned"]), found
    assert not found["scoreVisible"] and found["url_later"] != found["url"], found
