"""A class on JupyterHub with real Unix users, played in Chromium: fetch, work, validate,
submit; a student who tries to read and overwrite the others' hand-ins; the teacher's
formgrader, collect and autograde, ps1's written answers marked in formgrader's Manual
Grading, feedback released through nbgrader's exchange; each student fetches their own feedback.

Everything runs as the people would: each browser logs in with a Unix password (JupyterHub's
PAM authenticator), each JupyterLab and kernel runs as its Unix user. The teacher's
``convgrade collect``/``autograde``/``feedback --release`` run on the command line as the
teacher's Unix user (``runuser``), as a teacher would in a terminal of their server.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import pwd
import re
from contextlib import contextmanager
from types import SimpleNamespace

import nbformat
import pytest
from nbgrader.api import Gradebook
from playwright.sync_api import expect

from autograder.classroom.hub import Classroom
from conftest import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from lab_ui import ROOT, SCREENSHOTS, Notebook, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

SOLUTION_LINE = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
FLIPPED = "    kernel = np.asarray(kernel)[::-1, ::-1]  # turned around, as in signal processing\n"
#: ps1's written answers and the points the teacher gives them in formgrader (of 2 and 1)
MARKS = {"effect_of_filters": 1.5, "pooling_effect": 0.5}


def answers(misconception=False):
    """``{grade id: code}``: what a student types into ps2's answer cells; the teacher's
    solution (delimiters removed), or with conv2d turning the kernel around."""
    nb = nbformat.read(ROOT / "source" / "ps2" / "ps2.ipynb", as_version=4)
    typed = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            lines = [line for line in cell.source.splitlines(keepends=True) if not SOLUTION_LINE.match(line)]
            if misconception and meta["grade_id"] == "conv2d":
                lines.insert(next(i for i, line in enumerate(lines) if '"""' in line and i > 1) + 1, FLIPPED)
            typed[meta["grade_id"]] = "".join(lines).rstrip("\n")
    return typed


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    expect.set_options(timeout=120_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def log_in(browser, hub, account):
    """A fresh browser context (its own cookies) logged in as ``account``, in JupyterLab."""
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.set_default_timeout(120_000)
    page.goto(hub.url + "/hub/login")
    page.fill("#username_input", account.name)
    page.fill("#password_input", account.password)
    page.click("#login_submit")
    page.wait_for_url(re.compile(r"/user/%s/lab" % account.name), timeout=240_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").wait_for()
    return page


def server(hub, account):
    """What ``lab_ui.Notebook`` needs of a server: its URL (the hub's login cookie, no token)."""
    return SimpleNamespace(base_url="%s/user/%s" % (hub.url, account.name), token="")


def assignment_list(page):
    """Open nbgrader's Assignments tab (Nbgrader > Assignment List)."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$")).click()
    page.locator(".lm-Menu-itemLabel", has_text="Assignment List").click()
    tab = page.locator("#nbgrader-assignment-list")
    tab.locator("#released_assignments_list_loading").wait_for(state="hidden")
    return tab


def row(tab, section, name):
    return tab.locator("#%s .list_item" % section, has=tab.page.locator(".item_name", has_text=name)).first


def work_and_submit(browser, hub, account, typed, passes):
    """A student fetches ps2, types the answers, validates and submits; returns the page."""
    page = log_in(browser, hub, account)
    tab = assignment_list(page)
    row(tab, "released_assignments_list", "ps2").locator("button", has_text="Fetch").click()
    expect(row(tab, "fetched_assignments_list", "ps2")).to_be_visible()
    save_screenshot(page, "hub/student_fetched.png")
    home = pwd.getpwnam(account.name).pw_dir
    fetched = os.path.join(home, "ps2", "ps2.ipynb")
    assert pwd.getpwuid(os.stat(fetched).st_uid).pw_name == account.name, "the fetched copy is the student's"

    nb = Notebook(page, server(hub, account), "ps2/ps2.ipynb", fetched).open()
    for grade_id, code in typed.items():
        nb.type_into(grade_id, code)
    page.locator(".validate-button").click()  # saves, then runs the notebook in the student's kernel
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=240_000)
    verdict = dialog.locator("#validation-message")
    expect(verdict).to_have_class(re.compile("validation-success" if passes else "validation-failed"))
    save_screenshot(page, "hub/%s_validate.png" % ("correct" if passes else "misconception"))
    dialog.locator(".jp-Dialog-button", has_text="Ok").click()
    saved = nbformat.read(fetched, as_version=4)
    assert saved.cells[nb.index["conv2d"]].source == typed["conv2d"]

    tab = assignment_list(page)
    row(tab, "fetched_assignments_list", "ps2").locator("button", has_text="Submit").click()
    expect(row(tab, "submitted_assignments_list", "ps2")).to_be_visible(timeout=120_000)
    return page


def ps1_typed_by_hand(owner):
    """ps1's release notebook as ``owner`` fills it in (``typed_by_hand`` of the ps1 tests:
    their ``MY_ID``, their numbers as literals, a sentence in each written answer)."""
    spec = importlib.util.spec_from_file_location("ps1_answers", ROOT / "tests" / "assignments" / "test_ps1.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.typed_by_hand(owner)


def work_on_ps1(page, hub, account):
    """``account`` fetches ps1 in the Assignments tab; their answers go into the fetched copy
    (the file, not typed: ps1 is many numbers); they submit it in the tab."""
    tab = assignment_list(page)
    row(tab, "released_assignments_list", "ps1").locator("button", has_text="Fetch").click()
    expect(row(tab, "fetched_assignments_list", "ps1")).to_be_visible()
    fetched = os.path.join(pwd.getpwnam(account.name).pw_dir, "ps1", "ps1.ipynb")
    typed = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell.source
             for cell in ps1_typed_by_hand(account.name).cells}
    nb = nbformat.read(fetched, as_version=4)
    for cell in nb.cells:
        cell.source = typed.get(cell.metadata.get("nbgrader", {}).get("grade_id"), cell.source)
    nbformat.write(nb, fetched)  # in place: still the student's file
    assert pwd.getpwuid(os.stat(fetched).st_uid).pw_name == account.name
    row(tab, "fetched_assignments_list", "ps1").locator("button", has_text="Submit").click()
    expect(row(tab, "submitted_assignments_list", "ps1")).to_be_visible(timeout=120_000)


def mark_written_answers(page, hub):
    """The teacher, in formgrader's *Manual Grading* of the one ps1 hand-in, types a score
    for each written answer (``MARKS``); formgrader saves each when its box loses focus."""
    page.goto("%s/user/%s/formgrader" % (hub.url, hub.teacher.name))
    page.get_by_role("link", name="Manual Grading").click()
    page.get_by_role("link", name="ps1", exact=True).click()  # the assignment
    page.get_by_role("link", name="ps1", exact=True).click()  # its notebook
    page.get_by_role("link", name="Submission #1").click()
    for cell, points in MARKS.items():
        score = page.locator("input.score#%s" % cell)
        expect(score).to_have_class(re.compile(r"\bneeds_manual_grade\b"))  # once formgrader has loaded them
        score.fill(str(points))
        with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url
                                  and r.request.method == "PUT") as saved:
            score.press("Tab")
        assert saved.value.ok, saved.value.status
    score.evaluate("el => el.scrollIntoView({block: 'center'})")
    save_screenshot(page, "hub/teacher_marks_answer.png")


def fetch_feedback(page, hub, student, assignment, screenshot=None):
    """``student`` clicks *Fetch Feedback* on ``assignment`` and opens their one feedback page;
    returns the page's text."""
    tab = assignment_list(page)
    tab.locator("#refresh_assignments_list").click()
    submitted = row(tab, "submitted_assignments_list", assignment)
    submitted.locator("button", has_text="Fetch Feedback").click()
    expect(submitted).to_contain_text("view feedback", timeout=120_000)
    if screenshot:
        save_screenshot(page, screenshot)
    home = pwd.getpwnam(student.name).pw_dir
    found = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(home, assignment, "feedback"))
             for f in fs if f.endswith(".html")]
    assert len(found) == 1, found
    page.goto("%s/user/%s/files/%s" % (hub.url, student.name, os.path.relpath(found[0], home)))
    return page.locator("body").text_content()


def hand_in(hub, account):
    """The name of ``account``'s one hand-in folder in the exchange (as root sees it)."""
    found = [n for n in os.listdir(hub.inbound) if n.startswith(account.name + "+ps2+")]
    assert len(found) == 1, found
    return found[0]


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


ATTACK = '''import os, subprocess, json, datetime
inbound = {inbound!r}
victim = inbound + "/" + {victim!r}
tries = {{"ls inbound": ["ls", inbound], "ls hand-in": ["ls", victim], "cat": ["cat", victim + "/ps2.ipynb"],
         "cp over": ["cp", "/etc/hostname", victim + "/ps2.ipynb"], "rm": ["rm", "-rf", victim]}}
for what, argv in tries.items():
    done = subprocess.run(argv, capture_output=True, text=True)
    print(what, "exit", done.returncode, done.stderr.strip().splitlines()[-1:])
# a hand-in named as the victim's: the exchange takes it, convgrade collect must not
stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
forged = inbound + "/" + {victim_user!r} + "+ps2+" + stamp + "+forged"
os.mkdir(forged)
empty = {{"cells": [], "metadata": {{}}, "nbformat": 4, "nbformat_minor": 5}}
open(forged + "/ps2.ipynb", "w").write(json.dumps(empty))
open(forged + "/timestamp.txt", "w").write(stamp)
print("forged", os.path.exists(forged))'''


def cheat(browser, hub, account, victim):
    """``account`` runs, in a notebook of their own server (their kernel, their Unix user),
    ls/cat/cp/rm on ``victim``'s hand-in and forges one in the victim's name."""
    home = pwd.getpwnam(account.name).pw_dir
    path = os.path.join(home, "notes.ipynb")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", metadata={"nbgrader": {"grade_id": "attack"}})])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    user = pwd.getpwnam(account.name)
    os.chown(path, user.pw_uid, user.pw_gid)

    page = log_in(browser, hub, account)
    notebook = Notebook(page, server(hub, account), "notes.ipynb", path).open()
    notebook.type_into("attack", ATTACK.format(inbound=str(hub.inbound), victim=hand_in(hub, victim),
                                               victim_user=victim.name))
    notebook.run_cell("attack", timeout=120_000)
    expect(notebook.cell("attack").locator(".jp-OutputArea")).to_contain_text("forged True")
    notebook.show("attack")
    save_screenshot(page, "hub/cheater_denied.png")
    return notebook.output_text("attack")


def test_a_class_on_jupyterhub():
    if os.geteuid() != 0:
        pytest.fail("this test creates Unix users: run it as root (as `make test` does here)", pytrace=False)
    (SCREENSHOTS / "hub").mkdir(parents=True, exist_ok=True)
    hub = Classroom(ROOT, students=("ada", "ben", "cy"), assignments=("ps2", "ps1"))
    ada, ben, cy = hub.students
    homes = []
    try:
        with hub, chromium() as browser:
            homes = [pwd.getpwnam(a.name).pw_dir for a in hub.accounts]
            # -- the exchange as made: nobody lists inbound, nobody renames another's hand-in
            assert oct(os.stat(hub.inbound).st_mode & 0o7777) == "0o3733"

            # -- two students work and submit
            ada_page = work_and_submit(browser, hub, ada, answers(), passes=True)
            save_screenshot(ada_page, "hub/student_submitted.png")
            work_on_ps1(ada_page, hub, ada)  # ps1: its written answers are marked by hand
            ben_page = work_and_submit(browser, hub, ben, answers(misconception=True), passes=False)
            for student in (ada, ben):
                folder = hub.inbound / hand_in(hub, student)
                assert pwd.getpwuid(os.stat(folder).st_uid).pw_name == student.name
                assert os.stat(folder).st_mode & 0o007 == 0, "a hand-in folder open to other users"
                assert os.stat(folder / "ps2.ipynb").st_mode & 0o007 == 0, "a hand-in readable by other users"
            ada_copy = hub.inbound / hand_in(hub, ada) / "ps2.ipynb"
            before = sha256(ada_copy)

            # -- a third student tries to read, overwrite and forge, from their own server
            said = cheat(browser, hub, cy, ada)
            for attempt in ("ls inbound", "ls hand-in", "cat", "cp over", "rm"):
                line = next(l for l in said.splitlines() if l.startswith(attempt + " exit"))
                assert "exit 0" not in line and re.search("Permission denied|Operation not permitted", line), said
            assert sha256(ada_copy) == before, "ada's hand-in was changed"

            # -- the teacher: collect and autograde as the teacher's Unix user
            collected = hub.convgrade("collect", "ps2").stdout
            assert "2 submission(s) placed" in collected, collected
            assert re.search(r"forged.*(not|belongs to).*%s" % cy.name, collected, re.S), collected
            hub.convgrade("autograde", "ps2", "--workers", "2", "--no-progress")
            collected = hub.convgrade("collect", "ps1").stdout
            assert "1 submission(s) placed" in collected, collected
            hub.convgrade("autograde", "ps1", "--no-progress")
            teacher = log_in(browser, hub, hub.teacher)
            teacher.goto("%s/user/%s/formgrader/manage_submissions/ps2" % (hub.url, hub.teacher.name))
            for student in (ada, ben):
                expect(teacher.locator("body")).to_contain_text(student.name)
            save_screenshot(teacher, "hub/teacher_formgrader.png")
            mark_written_answers(teacher, hub)
            released = hub.convgrade("feedback", "ps2", "--release").stdout
            assert "released %s's" % ada.name in released and "released %s's" % ben.name in released, released
            released = hub.convgrade("feedback", "ps1", "--release").stdout
            assert "released %s's" % ada.name in released, released

            # -- each student fetches their own feedback
            pages = {}
            for student, page in ((ada, ada_page), (ben, ben_page)):
                pages[student.name] = fetch_feedback(page, hub, student, "ps2",
                                                     "hub/%s_feedback_fetched.png" % student.role)
                if student is ben:  # his page at the sentence about his misconception
                    page.get_by_text("turned the kernel around").first.evaluate(
                        "el => el.scrollIntoView({block: 'center'})")
                save_screenshot(page, "hub/%s_feedback.png" % student.role, full_page=False)
            assert "turned the kernel around" in pages[ben.name]
            assert "turned the kernel around" not in pages[ada.name]
            total = re.compile(r"Your score: ([\d.]+) of ([\d.]+) points")
            ada_score, ada_max = map(float, total.search(pages[ada.name]).groups())
            ben_score, ben_max = map(float, total.search(pages[ben.name]).groups())
            assert ada_score == ada_max and ben_score < ben_max, (ada_score, ben_score)
            assert ben.name not in pages[ada.name] and ada.name not in pages[ben.name]

            # -- the teacher's marks: in the gradebook, and on ada's ps1 feedback
            with Gradebook("sqlite:///%s" % (hub.course_dir / "gradebook.db")) as gradebook:
                marked = {cell: gradebook.find_grade(cell, "ps1", "ps1", ada.name) for cell in MARKS}
                assert {c: g.manual_score for c, g in marked.items()} == MARKS
                marked_max = {c: g.max_score for c, g in marked.items()}
                submission = gradebook.find_submission_notebook("ps1", "ps1", ada.name)
                ps1_score, ps1_max = submission.score, submission.max_score
            ada_page.goto("%s/user/%s/lab" % (hub.url, ada.name))  # from her ps2 page back to JupyterLab
            ada_page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").wait_for()
            ps1_page = fetch_feedback(ada_page, hub, ada, "ps1")
            for cell, points in MARKS.items():
                assert re.search(r"Score: %g of %g\b" % (points, marked_max[cell]), ps1_page), cell
            # her numbers are all right: every point but the written answers' is hers, plus the marks
            assert ps1_score == ps1_max - sum(marked_max.values()) + sum(MARKS.values()), (ps1_score, ps1_max)
            assert total.search(ps1_page).groups() == ("%g" % ps1_score, "%g" % ps1_max), ps1_page[-400:]
            assert ben.name not in ps1_page
    finally:
        left, users = hub.leftover_processes(), hub.users_left()
    assert left == [], "processes of the classroom outlived it: %s" % left
    assert users == [], "Unix users of the classroom were not removed: %s" % users
    assert not any(os.path.exists(home) for home in homes), "a home folder of the classroom is left"
    assert not hub.runtime.exists(), "the classroom's course, exchange and configuration are left"


@pytest.mark.parametrize("students, said", [("ada,Ben", "'Ben' is not a short name"),
                                            ("ada,ada", "each once"), ("teacher", "not 'teacher'")])
def test_hub_refuses_student_names_it_cannot_make_users_of(students, said, capsys):
    from autograder.cli import main

    assert main(["hub", "--students", students]) == 2
    err = capsys.readouterr().err
    assert err.startswith("convgrade: error: --students") and said in err and err.count("\n") == 1, err
