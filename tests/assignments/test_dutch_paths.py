"""No English sentence in any feedback a Dutch notebook's student reads (issue 12).

For every Dutch notebook (ps1_nl, ps2_nl, ps3_nl, ps5_nl, quiz_nl) and every way a hand-in goes:
blank (the release's cells run as handed out), wrong (the model's answers and functions with a
mistake: each misconception value the ps5 key and the quiz items list, values off by one, text
where a number belongs), crash and timeout (the test cells after the stop never ran: no
records), late (the page's late sentence), not handed in, and a submission the grader could not
grade at all (``failed_result``: a worker died on it, a Dask task failed). Everything goes through the
records -> words path a sandboxed run uses (probe, JSON, ``score_check``, ``item_from_checks``,
``feedback_outputs``, ``zero_items``, ``failed_result``, the page's notices and words); no kernel is started.
The oracle is every fixed part of four words or more of every English sentence in
``autograder/language/en.py`` and of the item bank's English texts: none may appear.
"""
from __future__ import annotations

import contextlib
import io
import json
import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import language
from autograder.judging import registry
from autograder.judging.checks import ps5 as ps5_checks
from autograder.course import Course
from autograder.language import en, nl
from autograder.pipeline import rebuild
from autograder.pipeline.feedback import feedback_outputs
from autograder.pipeline.grade import failed_result
from autograder.pipeline.score import _item_without_checks, item_from_checks, score_check, zero_items
from autograder.publish.feedback_pages import PAGE_WORDS, STATUS_NOTICES, item_titles, late_notice
from convgrade_kernel import probe
from convgrade_kernel.item_bank import evaluate, load_bank
from convgrade_kernel.variants import variant

ROOT = Path(__file__).resolve().parents[2]
DUTCH = ("ps1_nl", "ps2_nl", "ps3_nl", "ps5_nl", "quiz_nl")
STUDENT = "s123456"
TABLES = ("PHRASES", "TITLES", "MISCONCEPTIONS", "LABELS", "NOTES", "STATUS_WORDS", "SCHOOL", "SCHOOL_MISTAKES",
          "SCHOOL_NOTES")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def _fixed_parts(text):
    """The parts of ``text`` between its format fields and code (a word with ``_ [ ] ( ) =``, which a
    Dutch sentence shares), of four words or more."""
    for part in re.split(r"%[-#0-9.]*[sdrgfi%]|\{[^}]*\}|\S*[_\[\]()=]\S*", text):
        part = " ".join(part.split()).strip(" .,:;!?-")
        if len(re.findall(r"[A-Za-z]+", part)) >= 4:
            yield part


def english_parts():
    """Every fixed part (four words or more) of the English tables and the item bank's English texts."""
    texts = [s for table in TABLES for s in _strings(getattr(en, table, {}))]
    for item in load_bank().values():
        texts += [item.text["en"], item.hint["en"]] + [m.why["en"] for m in item.mistakes]
        texts += [c.text["en"] for c in item.choices] + [c.why.get("en", "") for c in item.choices]
    return {p for t in texts for p in _fixed_parts(t)}


ENGLISH = english_parts()


def assert_dutch(texts, where):
    leaked = sorted({p for t in texts for p in ENGLISH if p in t})
    assert not leaked, "%s: English in Dutch feedback: %s" % (where, leaked[:8])


def test_the_oracle_holds_hundreds_of_english_sentences_and_catches_one():
    assert len(ENGLISH) > 300
    with pytest.raises(AssertionError):
        assert_dutch([en.PHRASES["more_cases_plural"] % 3], "self-test")


def read(folder, name):
    return nbformat.read(ROOT / folder / name / ("%s.ipynb" % name), as_version=4)


def run_cells(nb, student, *, solutions=True):
    """The namespace after running ``nb``'s code cells other than test cells, here, each error
    swallowed as a kernel that goes on would (a release's stubs raise NotImplementedError)."""
    namespace = {"__name__": "__main__"}
    for cell in nb.cells:
        if cell.cell_type != "code" or rebuild.is_test_cell(cell):
            continue
        source = cell.source
        if rebuild.grade_id(cell) == "student_id" and solutions:
            source = 'MY_ID = "%s"' % student
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                exec(compile(source, rebuild.grade_id(cell) or "cell", "exec"), namespace)
            except Exception:  # noqa: BLE001 - a cell that fails in a kernel leaves the rest running
                pass
    if "matplotlib.pyplot" in sys.modules:  # the notebooks' figures are not looked at here
        sys.modules["matplotlib.pyplot"].close("all")
    return namespace


def checked_cells(nb):
    """[(grade_id, points, [check ids])] of the notebook's checked test cells."""
    return [(rebuild.grade_id(c), rebuild.points(c), rebuild.check_ids(c.source)) for c in nb.cells
            if c.cell_type == "code" and rebuild.is_test_cell(c) and rebuild.check_ids(c.source)]


def judge(check_id, namespace, student, reached=True):
    """The CheckResult of ``check_id`` on ``namespace``, through the probe and a results file's JSON;
    ``reached=False``: the kernel stopped (crash, timeout) before the check's cell ran."""
    check = registry.get(check_id)
    cases = check.cases(np.random.default_rng(0), student)
    records = {i: probe._run_case(check_id, i, json.loads(json.dumps(c.plan_entry())), namespace,
                                  check.library_functions) for i, c in enumerate(cases)} if reached else {}
    records = {int(k): v for k, v in json.loads(json.dumps(records, allow_nan=True)).items()}
    return score_check(check_id, cases, records)


def feedback_texts(name, nb, namespace, student, reached=True):
    """Every text a student reads in the test cells of ``nb`` graded on ``namespace``; and the fractions."""
    texts, fractions = [], []
    for grade_id, points, check_ids in checked_cells(nb):
        results = [judge(c, namespace, student, reached) for c in check_ids]
        item = item_from_checks(name, grade_id, points, check_ids, results)
        fractions.append(item.fraction)
        texts.append(item.message)
        for output in feedback_outputs(item, results, "nl"):
            texts.append(output.get("text", "") + output.get("data", {}).get("text/plain", ""))
    return texts, fractions


def _off(value):
    """``value`` with a mistake: numbers one more, a letter answer another letter."""
    if isinstance(value, str):
        return "z"
    if isinstance(value, dict):
        return {k: _off(v) for k, v in value.items()}
    array = np.asarray(value)
    return (array + 1).tolist() if array.dtype.kind in "iuf" else value


def _off_function(function):
    def wrong(*args, **kwargs):
        return np.asarray(function(*args, **kwargs), dtype=float) + 1
    return wrong


def _raising(*args, **kwargs):
    raise ZeroDivisionError("deling door nul")


def wrong_namespaces(name, nb, model, student):
    """Namespaces with mistakes in every answer: off by one, text for numbers, functions that raise,
    and (ps5_nl, quiz_nl) each misconception the key lists whose value is not the right answer."""
    names = {c.value for _, _, ids in checked_cells(nb) for i in ids
             for c in registry.get(i).cases(np.random.default_rng(0), student) if c.value}
    calls = {c.call for _, _, ids in checked_cells(nb) for i in ids
             for c in registry.get(i).cases(np.random.default_rng(0), student) if c.call}
    off = dict(model, **{n: _off(model[n]) for n in names if n in model},
               **{f: _off_function(model[f]) for f in calls if f in model})
    text = dict(model, **{n: "zeven" for n in names})  # a number typed as a word
    yield "off by one", off
    if names:
        yield "text", text
    if calls:
        yield "raises", dict(model, **dict.fromkeys(calls, _raising))
    if name == "ps5_nl":
        v = variant(name, student)
        for check in [c for c in ps5_checks.ITEMS if issubclass(c, ps5_checks.ByHandItem)]:
            for variable, _, mutants in check().key(v):
                for misconception, value in mutants.items():
                    yield misconception, dict(model, **{variable: np.asarray(value).tolist()})
    if name == "quiz_nl":
        bank = load_bank()
        for number, slot in enumerate(variant(name, student)["slots"], 1):
            item, answers = bank[slot["item"]], dict(model["answers"])
            for choice in item.choices:
                if choice.misconception:
                    yield choice.misconception, dict(model, answers=dict(answers, **{"q%d" % number: choice.key}))
            for mistake in item.mistakes:
                wrong = evaluate(mistake.answer, slot["params"])
                if wrong == answers["q%d" % number]:
                    continue  # a mistake that gives the right answer (test_ps5_variant_claims names them)
                yield mistake.misconception, dict(model, answers=dict(answers, **{"q%d" % number: wrong}))


def test_the_oracle_finds_the_english_twins_feedback_on_the_same_path():
    """The same wrong answers graded by ps5's English checks leak English: the path and the oracle bite."""
    source = read("source", "ps5")
    model = run_cells(source, STUDENT)
    _, wrong = next(wrong_namespaces("ps5", source, model, STUDENT))
    texts, _ = feedback_texts("ps5", source, wrong, STUDENT)
    with pytest.raises(AssertionError):
        assert_dutch(texts, "ps5")


@pytest.fixture(scope="module", params=DUTCH)
def dutch(request):
    """(name, source notebook, release notebook, the model's namespace) of one Dutch notebook."""
    name = request.param
    source, release = read("source", name), read("release", name)
    return name, source, release, run_cells(source, STUDENT)


def test_the_model_earns_every_check_in_process(dutch):
    """The reference point: the model namespace is right, so 'wrong' below is a real mistake."""
    name, source, _, model = dutch
    texts, fractions = feedback_texts(name, source, model, STUDENT)
    assert fractions and all(f == 1 for f in fractions), (name, fractions)
    assert_dutch(texts, "%s model" % name)


def test_a_blank_hand_in_is_told_in_dutch(dutch):
    name, source, release, _ = dutch
    blank = run_cells(release, STUDENT, solutions=False)
    texts, fractions = feedback_texts(name, source, blank, STUDENT)
    assert all(f == 0 for f in fractions), (name, fractions)
    # the untouched answer cells' comments, the teacher-graded cells
    texts += [language.phrase("no_response", "nl")]
    texts += [_item_without_checks(name, c, c, "nl").message for c in release.cells
              if (rebuild.is_grade(c) or rebuild.is_task(c)) and not (c.cell_type == "code" and rebuild.is_test_cell(c))]
    assert_dutch(texts, "%s blank" % name)


def test_wrong_answers_are_told_in_dutch(dutch):
    name, source, _, model = dutch
    seen = 0
    for mistake, namespace in wrong_namespaces(name, source, model, STUDENT):
        texts, fractions = feedback_texts(name, source, namespace, STUDENT)
        assert any(f < 1 for f in fractions), (name, mistake)
        assert_dutch(texts, "%s wrong (%s)" % (name, mistake))
        seen += 1
    assert seen >= 2


@pytest.mark.parametrize("status", ["crashed", "timeout"])
def test_a_crash_or_timeout_is_told_in_dutch(dutch, status):
    """The kernel stopped before the test cells ran: each check's cases never arrived; the page says why."""
    name, source, _, model = dutch
    texts, fractions = feedback_texts(name, source, model, STUDENT, reached=False)
    assert all(f == 0 for f in fractions), (name, fractions)
    texts.append(language.phrase(STATUS_NOTICES[status], "nl"))
    assert_dutch(texts, "%s %s" % (name, status))


def test_a_late_or_missing_hand_in_and_the_page_words_are_dutch(dutch):
    name, source, _, _ = dutch
    texts = [late_notice(seconds, penalty, 17, "nl", lms_late=lms)
             for seconds in (0, 30, 60, 90 * 60, 3600, 5 * 3600, 2 * 86400, 9 * 86400)
             for penalty in (0, 1.7) for lms in (False, True)]
    assert all(texts[i] for i in range(4, len(texts)))  # late by 30 s or more always says so
    texts += [language.phrase(p, "nl") for p in list(PAGE_WORDS.values()) + list(STATUS_NOTICES.values())]
    texts += [i.message for i in zero_items(source, name, language.phrase("not_submitted", "nl") % name)]
    texts += list(item_titles(source, "nl").values())
    assert_dutch(texts, "%s late/missing/page" % name)


#: The technical reasons parallel.py gives a submission it could not grade (the teacher's, in English).
FAILURES = [("crashed", "the grading worker died 3 times on this submission (last: killed by SIGKILL)"),
            ("crashed", "the Dask task failed: KilledWorker: Attempted to run task on 3 different workers"),
            ("error", "grading failed: MemoryError: unable to allocate 2.00 GiB for an array")]


def failed_texts(name, status, detail):
    """(the result of ``failed_result``, every text its student reads: the items' messages, the
    placeholder notebook's outputs and the page's notice for its status)."""
    result = failed_result(Course(ROOT), name, STUDENT, status, detail)
    texts = [i.message for i in result.items]
    for nb in result.notebooks.values():
        for cell in nbformat.reads(nb, as_version=4).cells:
            texts += [o.get("text", "") for o in cell.get("outputs", [])]
    return result, texts + [language.phrase(STATUS_NOTICES[status], rebuild.notebook_language(read("source", name)))]


@pytest.mark.parametrize("status, detail", FAILURES)
def test_a_submission_the_grader_could_not_grade_is_told_in_dutch_and_the_reason_kept_for_the_teacher(
        dutch, status, detail):
    name, source, _, _ = dutch
    result, texts = failed_texts(name, status, detail)
    assert result.items and all(i.score == 0 for i in result.items)
    assert name in result.notebooks and len(texts) > len(result.items)  # the placeholder's test cells say it too
    assert result.detail == detail  # the teacher's summary and report keep the technical reason
    assert not [t for t in texts if detail in t or re.search(r"worker|Dask|SIGKILL|Error", t)], name
    assert all(i.message == nl.PHRASES["grading_failed"] for i in result.items)
    assert_dutch(texts, "%s %s" % (name, detail))


def test_an_english_notebook_the_grader_could_not_grade_is_told_in_english():
    result, texts = failed_texts("ps2", *FAILURES[0])
    assert result.items and all(i.message == en.PHRASES["grading_failed"] for i in result.items)
    assert result.detail == FAILURES[0][1]
    with pytest.raises(AssertionError):
        assert_dutch(texts, "ps2")
