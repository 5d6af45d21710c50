"""The quiz (``source/quiz``, ``source/quiz_nl``): the item bank, the per-student draw, the checks.

Fast tests hold every item file (``autograder/kernel/items/*.toml``) to the format, the
parameterised answers to PyTorch (shapes of real convolutions and pools, parameter counts of real
layers), the "which filter made this map?" items to real convolutions of their grids, the draw to
its promises (a pure function of the id, different for neighbours, the tier mix), a broken item
file to one clear line, and a teacher's new file to being drawn. The slow tests grade through the
real sandboxed pipeline: the model solution earns every point, the untouched release none, and a
Dutch quiz's feedback is Dutch.
"""
from __future__ import annotations

import ast
import copy
import itertools
import random
import re
import shutil
from collections import Counter
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder.judging import registry
from autograder.judging.checks import quiz_nl as quiz_nl_checks
from autograder.pipeline.in_process import run_in_process
from convgrade_kernel import item_bank
from convgrade_kernel.item_bank import ItemError, load_bank, load_item
from convgrade_kernel.variants import variant

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = {"quiz": "en", "quiz_nl": "nl"}
SLOTS = ["q%d" % n for n in range(1, 11)]
BANK = load_bank()


def _size(n, k, padding=0, stride=1, dilation=1):
    """Width of a real convolution's output (PyTorch), for an n x n input."""
    return F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), padding=padding, stride=stride,
                    dilation=dilation).shape[-1]


def _count(layer):
    return sum(p.numel() for p in layer.parameters())


def _receptive_field(layers):
    """Width of the input cells one output of ``layers`` 3x3 convolutions depends on (by gradient)."""
    x = torch.zeros(1, 1, 31, 31, requires_grad=True)
    y = x
    for _ in range(layers):
        y = F.conv2d(y, torch.ones(1, 1, 3, 3))
    y[0, 0, y.shape[-2] // 2, y.shape[-1] // 2].backward()
    return int((x.grad[0, 0].abs().sum(0) > 0).sum())


def _window(kernel, window):
    """A CNN layer's value of ``kernel`` on one ``window`` (cross-correlation, PyTorch)."""
    k, w = torch.tensor(kernel, dtype=torch.float64), torch.tensor(window, dtype=torch.float64)
    return F.conv2d(w.reshape(1, 1, *w.shape), k.reshape(1, 1, *k.shape)).item() if k.ndim == 2 else \
        F.conv1d(w.reshape(1, 1, -1), k.reshape(1, 1, -1)).item()


#: item id -> its answer for ``params``, computed with PyTorch (not with the item's formula).
ORACLES = {
    "window_dot_product": lambda p: _window([p["a"], p["b"], p["c"]], [p["x"], p["y"], p["z"]]),
    "feature_map_length_1d": lambda p: F.conv1d(torch.zeros(1, 1, p["n"]), torch.zeros(1, 1, p["k"])).shape[-1],
    "output_size_valid": lambda p: _size(p["n"], p["k"]),
    "relu_number": lambda p: F.relu(torch.tensor(float(p["v"]))).item(),
    "filter_numbers_rgb": lambda p: _count(torch.nn.Conv2d(3, 1, p["k"], bias=False)),
    "feature_maps_count": lambda p: torch.nn.Conv2d(p["c"], p["f"], p["k"])(torch.zeros(1, p["c"], 9, 9)).shape[1],
    "pool_output_size": lambda p: F.max_pool2d(torch.zeros(1, 1, p["n"], p["n"]), 2, stride=2).shape[-1],
    "output_size_padding": lambda p: _size(p["n"], p["k"], padding=p["p"]),
    "output_size_stride": lambda p: _size(p["n"], p["k"], stride=p["s"]),
    "same_padding": lambda p: next(q for q in range(p["k"]) if _size(12, p["k"], padding=q) == 12),
    "weights_count_layer": lambda p: _count(torch.nn.Conv2d(p["c"], p["f"], p["k"])),
    "edge_filter_flat": lambda p: _window([-1, 0, 1], [p["v"]] * 3),
    "max_pool_window": lambda p: F.max_pool2d(torch.tensor([[[[p["a"], p["b"]], [p["c"], p["d"]]]]],
                                                           dtype=torch.float64), 2).item(),
    "avg_pool_window": lambda p: F.avg_pool2d(torch.tensor([[[[p["a"], p["b"]], [p["c"], p["d"]]]]],
                                                           dtype=torch.float64), 2).item(),
    "window_2d": lambda p: _window([[p["p"], p["q"]], [p["r"], p["t"]]], [[p["w"], p["x"]], [p["y"], p["z"]]]),
    "output_size_full": lambda p: _size(p["n"], p["k"], padding=p["p"], stride=p["s"]),
    "dilated_size": lambda p: _size(p["n"], p["k"], dilation=p["d"]),
    "receptive_field": lambda p: _receptive_field(p["l"]),
    "dense_layer_weights": lambda p: _count(torch.nn.Linear(p["n"] * p["n"], p["h"])),
    "weights_second_layer": lambda p: _count(torch.nn.Sequential(torch.nn.Conv2d(3, p["f1"], 3),
                                                                 torch.nn.Conv2d(p["f1"], p["f2"], 3))[1]),
    "output_values_count": lambda p: torch.nn.Conv2d(3, p["f"], 3, padding=1)(
        torch.zeros(1, 3, p["n"], p["n"])).numel(),
}


def combinations(item):
    """Every parameter combination of ``item`` the draw may give."""
    names = sorted(item.params)
    for values in itertools.product(*(item.params[n] for n in names)):
        params = dict(zip(names, values))
        if not item.require or item_bank.evaluate(item.require, params):
            yield params


# ------------------------------------------------------------------ the bank

def test_the_bank_has_forty_items_in_every_tier_and_topic():
    tiers = Counter(item.tier for item in BANK.values())
    assert len(BANK) >= 40 and tiers[1] >= 12 and tiers[2] >= 10 and tiers[3] >= 8, tiers
    assert Counter(item.kind for item in BANK.values())["number"] >= 15
    topics = {t for item in BANK.values() for t in item.topics}
    for lesson in ("sliding window", "dot product", "hand-made filters", "line detectors", "sharpen", "blur", "edges",
                   "which filter made this map", "cross-correlation vs convolution", "stride", "padding",
                   "output size", "pooling", "channels and filters", "weights count", "ReLU", "1D/2D/3D",
                   "learning filters", "when convolution suits data"):
        assert lesson in topics, lesson


def test_every_item_speaks_english_and_dutch_and_explains_every_wrong_answer():
    for item in BANK.values():
        assert item.text["en"] != item.text["nl"] and item.hint["en"] != item.hint["nl"], item.id
        for choice in item.choices:
            assert choice.text["en"] and choice.text["nl"], (item.id, choice.key)
            if choice.key != item.right:
                assert choice.misconception and choice.why["en"] != choice.why["nl"], (item.id, choice.key)
        assert item.kind == "number" or len(item.choices) >= 3, item.id
        for mistake in item.mistakes:
            assert mistake.misconception and mistake.why["en"] != mistake.why["nl"], item.id
        # the Dutch uses the lessons' words (ps1_nl), not the English ones
        assert "feature map" not in item.text["nl"] and "padding)" not in item.text["en"], item.id


def test_every_parameterised_answer_agrees_with_pytorch():
    parameterised = {i for i, item in BANK.items() if item.kind == "number"}
    assert parameterised == set(ORACLES), parameterised ^ set(ORACLES)
    for item_id, oracle in ORACLES.items():
        item = BANK[item_id]
        differs = Counter()
        everything = list(combinations(item))
        sample = random.Random(item_id).sample(everything, min(len(everything), 80))
        for params in sample:
            expected = oracle(params)
            assert abs(item_bank.answer_of(item, params) - expected) <= item.tolerance + 1e-9, (item_id, params)
            differs.update(m.misconception for m in item.mistakes if item_bank.evaluate(m.answer, params) != expected)
        for mistake in item.mistakes:  # a real mistake: its number is mostly not the right one
            assert differs[mistake.misconception] >= 0.5 * len(sample), (item_id, mistake.misconception)


def _grid_and_map(grid):
    """The image and the feature map of a "which filter made this map?" grid (two blocks side by side)."""
    rows = [re.split(r"\s{3,}", line.strip()) for line in grid.splitlines()]
    image = np.array([[float(v) for v in r[0].split()] for r in rows])
    feature_map = np.array([[float(v) for v in r[1].split()] for r in rows if len(r) > 1])
    return image, feature_map


def _filter_of(text):
    """``"[[1, 1], [1, 1]] / 9"`` as an array."""
    grid, _, divisor = text.partition("/")
    return np.array(ast.literal_eval(grid.strip()), dtype=float) / float(divisor or 1)


def test_which_filter_made_this_map_items_are_true_of_real_convolutions():
    items = [item for item in BANK.values() if "which filter made this map" in item.topics]
    assert len(items) >= 3
    for item in items:
        image, shown = _grid_and_map(item.grid)
        for choice in item.choices:
            kernel = _filter_of(choice.text["en"])
            made = F.conv2d(torch.tensor(image)[None, None], torch.tensor(kernel)[None, None])[0, 0].numpy()
            assert (made.shape == shown.shape and np.allclose(made, shown)) == (choice.key == item.right), \
                (item.id, choice.key, made)


# ------------------------------------------------------------------ the draw

def test_the_draw_is_a_pure_function_of_the_id_shared_by_both_languages():
    assert item_bank.quiz_of("alice") == item_bank.quiz_of("alice") == variant("quiz", "alice")["slots"] \
        == variant("quiz_nl", " alice ")["slots"]
    assert item_bank.answer_key("alice") == quiz_nl_checks.answer_key("quiz_nl", "alice")  # `convgrade key`
    with pytest.raises(ValueError, match="student id is empty"):
        item_bank.show_quiz("  ", "en")


def test_neighbours_get_different_quizzes_with_the_tier_mix():
    students = ["s%06d" % n for n in range(100, 130)]
    quizzes = {s: item_bank.quiz_of(s) for s in students}
    for a, b in zip(students, students[1:]):
        assert quizzes[a] != quizzes[b], (a, b)
        shared = {s["item"] for s in quizzes[a]} & {s["item"] for s in quizzes[b]}
        assert len(shared) <= 7, (a, b, shared)
    for slots in quizzes.values():
        tiers = [BANK[s["item"]].tier for s in slots]
        assert tiers == sorted(tiers) and Counter(tiers) == Counter(item_bank.MIX)
        assert len({s["item"] for s in slots}) == len(slots) == len(SLOTS)
    drawn = Counter(s["item"] for slots in quizzes.values() for s in slots)
    assert len(drawn) >= 0.8 * len(BANK), "30 students should meet most of the bank"


def test_a_teachers_new_item_file_is_drawn_shown_and_graded(tmp_path, capsys):
    folder = tmp_path / "items"
    folder.mkdir()
    for tier, count in ((1, 5), (2, 3), (3, 1)):  # exactly one quiz's worth, so the new item is in every quiz
        for item_id in sorted(i for i, item in BANK.items() if item.tier == tier)[:count]:
            shutil.copy(item_bank.ITEMS_DIR / (item_id + ".toml"), folder)
    (folder / "kernel_area.toml").write_text(NEW_ITEM, encoding="utf-8")
    slots = item_bank.quiz_of("alice", folder)
    new = [s for s in slots if s["item"] == "kernel_area"]
    assert len(new) == 1 and new[0]["params"]["k"] in (3, 5)
    item_bank.show_quiz("alice", "nl", folder)
    assert "Hoeveel vakjes heeft een kern van %d x %d?" % ((new[0]["params"]["k"],) * 2) in capsys.readouterr().out
    assert item_bank.answer_key("alice", folder)["q%d" % (slots.index(new[0]) + 1)] == new[0]["params"]["k"] ** 2


NEW_ITEM = '''
id = "kernel_area"
tier = 3
kind = "number"
topics = ["weights count"]
answer = "k * k"

[text]
en = "How many cells does a {k} x {k} kernel have?"
nl = "Hoeveel vakjes heeft een kern van {k} x {k}?"

[hint]
en = "Multiply its height by its width."
nl = "Vermenigvuldig de hoogte met de breedte."

[params]
k = [3, 5]

[[mistakes]]
answer = "2 * k"
misconception = "area_as_perimeter"
why_en = "You added the sides; count the cells: k rows of k."
why_nl = "Je hebt de zijden opgeteld; tel de vakjes: k rijen van k."
'''

#: a broken version of NEW_ITEM -> the field and the rule its one line must name
BROKEN = [
    (("[text]\n", "[text]\n"), ('nl = "Hoeveel vakjes heeft een kern van {k} x {k}?"', ""), "'text.nl'", "missing"),
    (("tier = 3", "tier = 4"), None, "'tier'", "must be 1 (core), 2 or 3"),
    (("kind = \"number\"", "kind = \"open\""), None, "'kind'", "must be 'choice' or 'number'"),
    (('answer = "k * k"', 'answer = "k * size"'), None, "'answer'", "unknown name 'size'"),
    (('answer = "k * k"', 'answer = "__import__(\'os\')"'), None, "'answer'", "not allowed"),
    (('why_nl = "Je hebt de zijden opgeteld; tel de vakjes: k rijen van k."', ""), None, "'mistakes[1].why_nl'",
     "misconception in en and nl"),
    (('id = "kernel_area"', 'id = "kernel"'), None, "'id'", "must be the file's name"),
    (("k = [3, 5]", "k = [3, 5.5]"), None, "'params.k'", "whole numbers"),
    (('en = "How many cells does a {k} x {k} kernel have?"', 'en = "How many cells has a {size} kernel?"'), None,
     "'text.en'", "{size} is no parameter"),
    (("topics = [", "colour = 1\ntopics = ["), None, "'colour'", "unknown field"),
    # k = 2: 2 * k = k * k, so the item could not tell the mistake from the right answer
    (("k = [3, 5]", "k = [2, 3, 5]"), None, "'mistakes[1].answer'",
     "mistake 'area_as_perimeter' gives the right answer 4 for {'k': 2}"),
]


@pytest.mark.parametrize("change, more, field, rule", BROKEN)
def test_a_broken_item_file_gives_one_line_naming_the_file_field_and_rule(tmp_path, change, more, field, rule):
    text = NEW_ITEM.replace(*change)
    if more:
        text = text.replace(*more)
    path = tmp_path / "kernel_area.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ItemError) as info:
        load_item(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith("kernel_area.toml: ") and field in message and rule in message, \
        message


def test_a_require_that_rules_out_the_clash_makes_the_item_load(tmp_path):
    """The fix the loader's line suggests works: ``require`` drops the combinations where a mistake is right."""
    path = tmp_path / "kernel_area.toml"
    path.write_text(NEW_ITEM.replace("k = [3, 5]", "k = [2, 3, 5]").replace(
        'answer = "k * k"', 'answer = "k * k"\nrequire = "k != 2"', 1), encoding="utf-8")
    item = load_item(path)
    assert item.params["k"] == (2, 3, 5) and item.require == "k != 2"


def test_a_broken_choice_item_and_bad_toml_are_named(tmp_path):
    source = (item_bank.ITEMS_DIR / "max_pool_keeps.toml").read_text(encoding="utf-8")
    cases = [(source.replace('right = "b"', 'right = "e"'), "'right': must be the letter of one of the choices"),
             (source.replace('misconception = "pool_sum"\n', ""), "'choices.c.misconception'"),
             (source.replace("[choices.d]", "[choices.d"), "not valid TOML")]
    for text, needle in cases:
        (tmp_path / "max_pool_keeps.toml").write_text(text, encoding="utf-8")
        with pytest.raises(ItemError, match=re.escape(needle)):
            load_item(tmp_path / "max_pool_keeps.toml")


# ------------------------------------------------------------------ the checks

def judge(assignment, slot, answers, student="alice"):
    check = registry.get("%s.%s" % (assignment, slot))
    case = check.cases(np.random.default_rng(0), student)[0]
    return check.compare(case, answers), case


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_key_earns_every_slot_in_process(assignment):
    namespace = {"answers": item_bank.answer_key("alice"), "STUDENT_ID": "alice"}
    for slot in SLOTS:
        assert run_in_process("%s.%s" % (assignment, slot), namespace, student="alice").passed


@pytest.mark.parametrize("assignment, lang", ASSIGNMENTS.items())
def test_every_wrong_answer_is_explained_by_its_items_own_words(assignment, lang):
    """Over many students, every slot: each wrong choice (and each number mistake) earns nothing and
    names its misconception with the item's explanation, the right answer and the item's hint."""
    seen = set()
    for student in ("s%04d" % n for n in range(40)):
        key = item_bank.answer_key(student)
        for slot, drawn in zip(SLOTS, item_bank.quiz_of(student)):
            item = BANK[drawn["item"]]
            wrongs = [(c.key, c.misconception, c.why) for c in item.choices if c.key != item.right] + [
                (item_bank.evaluate(m.answer, drawn["params"]), m.misconception, m.why) for m in item.mistakes
                if item_bank.evaluate(m.answer, drawn["params"]) != key[slot]]
            for given, misconception, why in wrongs:
                outcome, _ = judge(assignment, slot, {**key, slot: given}, student)
                assert outcome.fraction == 0 and outcome.misconception == misconception, (item.id, given)
                assert why[lang] in outcome.message and item.hint[lang] in outcome.message, outcome.message
                seen.add(item.id)
    assert len(seen) >= 0.8 * len(BANK)


def test_typed_answers_are_read_forgivingly_and_nonsense_is_named():
    key = item_bank.answer_key("alice")
    choice = next(s for s in SLOTS if isinstance(key[s], str))
    number = next(s for s in SLOTS if not isinstance(key[s], str))
    assert judge("quiz", choice, {**key, choice: " %s) " % key[choice].upper()})[0].fraction == 1
    assert judge("quiz", number, {**key, number: str(key[number])})[0].fraction == 1
    assert judge("quiz_nl", number, {**key, number: str(key[number]).replace(".", ",")})[0].fraction == 1
    outcome = judge("quiz", choice, {**key, choice: "z"})[0]
    assert outcome.fraction == 0 and "'z' is not one of the letters" in outcome.message
    assert "is geen getal" in judge("quiz_nl", number, {**key, number: "veel"})[0].message
    assert "There is no answer for %s" % number in judge("quiz", number, {})[0].message
    assert "answers is nog geen dict" in judge("quiz_nl", number, [1, 2])[0].message
    assert judge("quiz", number, {**key, number: True})[0].fraction == 0


def test_a_classmates_answers_answer_other_questions():
    alice = item_bank.answer_key("alice")
    earned = sum(judge("quiz", slot, alice, "bob")[0].fraction for slot in SLOTS)
    assert earned <= 5, earned


# ------------------------------------------------------------------ the notebooks

def read(part, assignment):
    return nbformat.read(ROOT / part / assignment / ("%s.ipynb" % assignment), as_version=4)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_one_hidden_check_of_one_point_per_slot(assignment):
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in read("source", assignment).cells
             if c.metadata.get("nbgrader", {}).get("grade")}
    assert list(cells) == ["test_" + s for s in SLOTS]
    for slot in SLOTS:
        cell = cells["test_" + slot]
        assert cell.metadata["nbgrader"]["points"] == 1
        assert 'convgrade_kernel.check("%s.%s", globals())' % (assignment, slot) in cell.source


def test_release_is_generated_from_the_current_source(assert_release_current):
    assert_release_current(*ASSIGNMENTS)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_holds_no_solution_and_no_hidden_test(assignment):
    text = "\n".join(c.source for c in read("release", assignment).cells)
    for secret in ("BEGIN SOLUTION", "HIDDEN TESTS", "convgrade_kernel.check", "answer_key", "demo-student"):
        assert secret not in text, secret


# ------------------------------------------------------------------ through the sandbox

ENGLISH = ("cases right", "of the marks", "Likely misconception", "No answer given", " of 1\n", "Question ",
           "Not yet", "The right answer", "Next step", "is not")


def _course_with(tmp_path, assignment, submissions):
    """A course holding ``assignment``'s source and release, and ``{student: notebook}`` handed in."""
    root = tmp_path / "course"
    for part in ("source", "release"):
        shutil.copytree(ROOT / part / assignment, root / part / assignment)
    for student, nb in submissions.items():
        folder = root / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / ("%s.ipynb" % assignment))
    from autograder.course import Course
    return Course(root)


def _typed(assignment, student, answers):
    nb = read("release", assignment)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "student_id":
            cell.source = 'MY_ID = "%s"' % student
        elif grade_id == "answer_quiz":
            cell.source = "answers = %r" % (answers,)
    return nb


@pytest.mark.slow
def test_model_solution_earns_every_point_and_the_untouched_release_none(tmp_path):
    from autograder.pipeline.grade import grade_submission

    model = read("source", "quiz")  # the solution: the key computed in the student's own kernel
    for cell in model.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "student_id":
            cell.source = 'MY_ID = "alice"'
    course = _course_with(tmp_path, "quiz", {"alice": model, "bob": read("release", "quiz")})
    results = {s: grade_submission(course, "quiz", s) for s in ("alice", "bob")}
    for student, points in (("alice", 1.0), ("bob", 0.0)):
        result = results[student]
        assert result.status == "graded", result.detail
        scores = {i.grade_id: i.score for i in result.items}
        assert scores == {"test_" + s: points for s in SLOTS}, (student, [i.message for i in result.items])


@pytest.mark.slow
def test_a_dutch_quiz_gets_its_feedback_in_dutch(tmp_path):
    from autograder.pipeline.grade import grade_submission

    key = item_bank.answer_key("bob")
    answers, wrong = dict(key), {}
    for slot, drawn in zip(SLOTS[::3], item_bank.quiz_of("bob")[::3]):  # q1, q4, q7, q10 wrong
        item = BANK[drawn["item"]]
        if item.kind == "choice":
            wrong[slot] = next(c.key for c in item.choices if c.key != item.right)
        else:
            wrong[slot] = key[slot] + 100
        answers[slot] = wrong[slot]
    del answers["q2"]
    course = _course_with(tmp_path, "quiz_nl", {"bob": _typed("quiz_nl", "bob", answers)})
    result = grade_submission(course, "quiz_nl", "bob")
    assert result.status == "graded", result.detail
    scores = {i.grade_id: i.score for i in result.items}
    assert scores == {"test_" + s: 0.0 if s in wrong or s == "q2" else 1.0 for s in SLOTS}
    graded = nbformat.reads(result.notebooks["quiz_nl"], as_version=4)
    shown = {c.metadata["nbgrader"]["grade_id"]: "".join(o.get("text", "") for o in c.outputs)
             for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade")}
    for grade_id, text in shown.items():
        assert text and not [e for e in ENGLISH if e in text], (grade_id, text)
    assert shown["test_q1"].startswith("Score: 0 van 1\nVraag 1: Nog niet:"), shown["test_q1"]
    assert BANK[item_bank.quiz_of("bob")[0]["item"]].hint["nl"] in shown["test_q1"]  # the item's own next step
    assert "Er staat nog geen antwoord voor q2" in shown["test_q2"]


def test_a_broken_item_file_stops_grading_with_its_one_line(tmp_path, monkeypatch):
    """A teacher's slip in a new file: every submission gets status error and the file's one line,
    before any kernel starts; nothing is scored on a half-read bank."""
    from autograder.pipeline.grade import grade_submission

    course = _course_with(tmp_path, "quiz", {"alice": _typed("quiz", "alice", item_bank.answer_key("alice"))})
    folder = tmp_path / "items"
    shutil.copytree(item_bank.ITEMS_DIR, folder)
    (folder / "kernel_area.toml").write_text(NEW_ITEM.replace("tier = 3", "tier = 4"), encoding="utf-8")
    monkeypatch.setattr(item_bank, "ITEMS_DIR", folder)
    result = grade_submission(course, "quiz", "alice")
    assert result.status == "error" and "kernel_area.toml: field 'tier': must be 1 (core), 2 or 3" in result.detail, \
        (result.status, result.detail)
