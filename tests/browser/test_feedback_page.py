"""The feedback page a student reads (issue 11), opened in Debian's Chromium offline.

One small course is graded once through the real ``convgrade release``, ``deadline``,
``autograde`` (sandboxed kernels: two notebooks) and ``feedback``:

- ``kim`` (ps2) left ``output_size`` and ``relu`` as the release's ``raise
  NotImplementedError()`` (``conv_layer`` calls ``output_size``), wrote a ``max_pool2d``
  that averages, and handed in two hours after the due date under a policy of 5 % of the
  marks per started hour;
- ``hal`` (ps2) handed in a folder without the notebook;
- ``noor`` (ps1_nl, Dutch) wrote one answer with maths, and one with MathML that tries to
  smuggle active content (``href``, ``maction``, ``annotation-xml``, an mXSS nesting).

Every request that is not a local file is refused and recorded: the page must need none.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
CONVGRADE = Path(sys.executable).parent / "convgrade"
NARROW = {"width": 800, "height": 900}
WRITTEN_MATHS = "Max pooling houdt per venster $\\max_{a,b} x_{a,b}$ over, dus $\\frac{n}{2}$ rijen."
SMUGGLED = ('Het filter telt $\\sum_{a,b} x_{i+a,j+b}\\, w_{a,b}$ op.\n\n'
            '<math href="javascript:alert(1)"><mi xlink:href="javascript:alert(2)">x</mi>'
            '<maction actiontype="statusline"><mi>y</mi><mtext>z</mtext></maction>'
            '<semantics><mi>q</mi><annotation-xml encoding="text/html"><img src="x" onerror="alert(3)">'
            '</annotation-xml></semantics></math>\n\n'
            '<math><mtext><table><mglyph><style><img src=x onerror=alert(4)>\n')
#: Words of the English template that must not be on the Dutch page.
ENGLISH_TEMPLATE_WORDS = ("Score", "Test cell", "Contents", "Summary", "Your answer", "Check:", "(top)", "Comment")

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def convgrade(course, *args):
    proc = subprocess.run([str(CONVGRADE), "--course", str(course), *map(str, args)], capture_output=True,
                          text=True, timeout=900, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    assert proc.returncode == 0, "convgrade %s failed:\n%s\n%s" % (" ".join(map(str, args)), proc.stdout[-3000:],
                                                                  proc.stderr[-3000:])
    return proc


def notebook(assignment, **answers):
    """The release notebook of ``assignment`` with the model answers of ``source/`` (for
    ps2), then ``answers`` (grade id: source; None keeps the release's stub)."""
    model = {c.metadata["nbgrader"]["grade_id"]: c.source
             for c in nbformat.read(ROOT / "source" / assignment / ("%s.ipynb" % assignment), as_version=4).cells
             if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"} \
        if assignment == "ps2" else {}
    nb = nbformat.read(ROOT / "release" / assignment / ("%s.ipynb" % assignment), as_version=4)
    chosen = dict(model, **answers)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if chosen.get(gid) is not None:
            cell.source = chosen[gid]
    return nb


AVERAGING_MAX_POOL = '''def max_pool2d(x, size=2, stride=2):
    x = np.asarray(x, dtype=float)
    rows, cols = (x.shape[0] - size) // stride + 1, (x.shape[1] - size) // stride + 1
    return np.array([[x[i * stride:i * stride + size, j * stride:j * stride + size].mean()
                      for j in range(cols)] for i in range(rows)])
'''


def hand_in(course, student, assignment, nb, timestamp):
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True)
    if nb is not None:
        nbformat.write(nb, folder / ("%s.ipynb" % assignment))
    (folder / "timestamp.txt").write_text(timestamp + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """``{student: path of the feedback page}`` of the class above, graded once."""
    course = tmp_path_factory.mktemp("feedback-page") / "course"
    for assignment in ("ps2", "ps1_nl"):
        shutil.copytree(ROOT / "source" / assignment, course / "source" / assignment)
        convgrade(course, "release", assignment)
    convgrade(course, "deadline", "ps2", "--due", "2025-03-01 09:00", "--timezone", "UTC",
              "--late-policy", "per-hour:5")
    hand_in(course, "kim", "ps2", notebook("ps2", output_size=None, relu=None, max_pool2d=AVERAGING_MAX_POOL),
            "2025-03-01 11:00:00.000000 UTC")
    hand_in(course, "hal", "ps2", None, "2025-03-01 08:00:00.000000 UTC")
    hand_in(course, "noor", "ps1_nl", notebook("ps1_nl", effect_of_filters=SMUGGLED, pooling_effect=WRITTEN_MATHS),
            "2025-03-01 08:00:00.000000 UTC")
    for assignment in ("ps2", "ps1_nl"):
        convgrade(course, "autograde", assignment, "--workers", "2")
        convgrade(course, "feedback", assignment)
    return {student: course / "feedback" / student / assignment / ("%s.html" % assignment)
            for student, assignment in (("kim", "ps2"), ("hal", "ps2"), ("noor", "ps1_nl"))}


@pytest.fixture(scope="module")
def offline(browser):
    """The module's Chromium with every request that is not a local file refused (and listed)."""
    refused = []

    def local_only(route):
        if route.request.url.startswith(("file:", "data:", "about:")):
            return route.continue_()
        refused.append(route.request.url)
        return route.abort()

    browser.route("**/*", local_only)
    yield refused
    browser.unroute("**/*")


def open_page(browser, path, refused):
    """A narrow tab showing ``path``, with dialogs (a script that ran) recorded on it."""
    del refused[:]
    tab = browser.new_page()
    tab.set_viewport_size(NARROW)
    tab.dialogs = []
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    tab.goto(path.as_uri())
    tab.wait_for_load_state("load")
    return tab


def message_texts(tab):
    """The feedback messages: the text of every test cell's outputs."""
    return tab.eval_on_selector_all(".output_area", "els => els.map(e => e.innerText)")


def overflowing(tab):
    """The elements of the messages, summary and contents whose content is wider than they are."""
    return tab.evaluate("""() => Array.from(document.querySelectorAll(
            '.output_area, .output_area *, #summary, #summary *, #toc, #toc *'))
        .filter(e => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)
        .map(e => e.tagName + '.' + e.className + ' ' + e.scrollWidth + '>' + e.clientWidth)""")


def test_feedback_wraps_in_a_narrow_window(browser, offline, pages):
    tab = open_page(browser, pages["kim"], offline)
    try:
        longest = max(len(line) for text in message_texts(tab) for line in text.splitlines())
        assert longest > 120, "no message line is long enough to overflow 800 px: this test would prove nothing"
        assert overflowing(tab) == []
        assert tab.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
        # control: the same messages as pre-formatted text (the page before) do scroll
        tab.add_style_tag(content="pre { white-space: pre !important; overflow-wrap: normal !important; }")
        assert overflowing(tab)
    finally:
        tab.close()


def test_maths_is_mathml_drawn_offline(browser, offline, pages):
    tab = open_page(browser, pages["kim"], offline)
    try:
        boxes = tab.eval_on_selector_all(".text_cell_render math", """els => els.map(e => {
            const r = e.getBoundingClientRect(); return [r.width, r.height]; })""")
        assert len(boxes) >= 10 and all(w > 0 and h > 0 for w, h in boxes), boxes[:5]
        # no TeX left for a MathJax that is not there: n - k + 1 is drawn, not typed
        teacher_text = " ".join(tab.eval_on_selector_all(".text_cell_render", "els => els.map(e => e.innerText)"))
        assert "$" not in teacher_text
        csp = tab.get_attribute('meta[http-equiv="Content-Security-Policy"]', "content")
        assert csp.startswith("default-src 'none'")
        assert tab.locator("script").count() == 0
        assert offline == [] and tab.dialogs == []
    finally:
        tab.close()


def test_contents_name_each_item(browser, offline, pages):
    tab = open_page(browser, pages["kim"], offline)
    try:
        entries = tab.eval_on_selector_all("#toc li", "els => els.map(e => e.innerText)")
        assert entries and not any("Test cell" in e for e in entries)
        for name, score in (("output_size", "0 of 2"), ("conv1d", "2 of 2"), ("conv2d", "0 of 4"), ("relu", "0 of 1"),
                            ("conv_layer", "0 of 4")):
            assert "%s (Score: %s)" % (name, score) in entries, entries
        headings = tab.eval_on_selector_all(".nbgrader-label", "els => els.map(e => e.innerText)")
        assert "Check: conv2d" in headings and not any("Grade cell" in h for h in headings)
    finally:
        tab.close()


def test_an_unwritten_function_is_named_once(browser, offline, pages):
    tab = open_page(browser, pages["kim"], offline)
    try:
        text = "\n".join(message_texts(tab))
        assert "raised NotImplementedError" not in text
        assert text.count("You have not written output_size yet.") == 1
        assert text.count("You have not written relu yet.") == 1
        # conv_layer is written but calls the unwritten output_size
        assert "conv_layer calls output_size, which you have not written yet (see above)." in text
        assert text.count("output_size") <= 6, text  # titles, the notice, "see above"s: not one per case
        # the wrong max_pool2d still gets its diagnosis
        assert "max_pool2d" in text and "average" in text.lower()
    finally:
        tab.close()


def test_notebook_problems_come_first(browser, offline, pages):
    tab = open_page(browser, pages["kim"], offline)
    try:
        summary = tab.inner_text("#summary")
        assert "Handed in 2 hours late: 10% of the marks (1.7 points) off, per the course's policy." in summary
        assert "Your score:" in summary
        first_cell = tab.locator(".cell").first.bounding_box()
        assert tab.locator("#summary").bounding_box()["y"] < first_cell["y"]
    finally:
        tab.close()
    tab = open_page(browser, pages["hal"], offline)
    try:
        assert "Your notebook was not in your submission, so every item scores 0." in tab.inner_text("#summary")
        assert "late" not in tab.inner_text("#summary")
    finally:
        tab.close()


def test_a_run_that_stopped_is_said_first(browser, offline, pages, tmp_path):
    """A notebook that timed out or crashed (as the gradebook records it) says so in the summary."""
    import sqlite3

    from autograder.language import phrase

    course = shutil.copytree(pages["kim"].parents[3], tmp_path / "course")
    for status in ("timeout", "crashed"):
        with sqlite3.connect(course / "gradebook.db") as db:
            db.execute("UPDATE convgrade_submission SET status = ? WHERE student = 'kim'", (status,))
        convgrade(course, "feedback", "ps2", "--student", "kim")
        tab = open_page(browser, course / "feedback" / "kim" / "ps2" / "ps2.html", offline)
        try:
            notices = tab.eval_on_selector_all("#summary li.cg-notice", "els => els.map(e => e.innerText)")
            assert notices[0] == phrase("page_%s" % status) and notices[1].startswith("Handed in 2 hours late")
        finally:
            tab.close()


def test_the_dutch_page_is_dutch(browser, offline, pages):
    tab = open_page(browser, pages["noor"], offline)
    try:
        assert tab.get_attribute("html", "lang") == "nl"
        # the page's own words: everything but the notebook's cells and the checks' messages
        template_text = tab.evaluate("""() => { const body = document.body.cloneNode(true);
            body.querySelectorAll('.input_area, .output_area, .text_cell_render, style').forEach(e => e.remove());
            return body.innerText; }""")
        assert "Inhoud" in template_text and "Samenvatting" in template_text and "Punten:" in template_text
        for word in ENGLISH_TEMPLATE_WORDS:
            assert word not in template_text, word
        entries = tab.eval_on_selector_all("#toc li", "els => els.map(e => e.innerText)")
        assert any(e.startswith("Kenmerkdetector op de smiley (answer_smiley)") for e in entries), entries
    finally:
        tab.close()


def test_a_students_mathml_stays_inert(browser, offline, pages):
    tab = open_page(browser, pages["noor"], offline)
    try:
        plain = tab.locator(".nbgrader_cell", has=tab.locator('a[name="comment-pooling_effect"]'))
        assert plain.locator("math").count() == 2  # a student's own $...$ is drawn too
        assert plain.locator("math mfrac").count() == 1 and "$" not in plain.inner_text()
        answer = tab.locator(".nbgrader_cell", has=tab.locator('a[name="comment-effect_of_filters"]'))
        assert "Het filter telt" in answer.inner_text()  # every word kept, nothing active
        for selector in ("[onerror]", "[href^='javascript']", "math[href], math *[href]", "maction",
                         "annotation-xml", "mglyph", ".text_cell_render style", "script"):
            assert tab.locator(selector).count() == 0, selector
        assert offline == [] and tab.dialogs == []
    finally:
        tab.close()


def test_late_notice_and_unconvertible_maths_in_words():
    from autograder.publish.feedback_pages import late_notice, markdown_with_mathml

    assert late_notice(2 * 3600, 1.7, 17) == \
        "Handed in 2 hours late: 10% of the marks (1.7 points) off, per the course's policy."
    assert late_notice(3 * 86400 + 600, 17, 17, "nl") == \
        "3 dagen te laat ingeleverd: 100% van de punten (17 punten) eraf, volgens de regels van de cursus."
    assert late_notice(90, 0, 17) == "Handed in 2 minutes late; the course's policy takes nothing off."
    assert late_notice(0, 0, 17) == late_notice(-60, 0, 17) == ""
    # what latex2mathml cannot convert stays as its TeX, as text
    rendered = markdown_with_mathml("Broken: $x_{$ but $k^2$ works.")
    assert "$x_{$" in rendered and rendered.count("<math") == 1
