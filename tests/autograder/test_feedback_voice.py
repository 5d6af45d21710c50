"""The school voice of ps1 and ps1_nl (issue 12): feedback a 15-year-old understands.

Typical wrong answers, each made from the model answer (the answer key) with one mistake,
go through the probe, the codec and the scoring a sandboxed run uses; in English and in
Dutch the message must start with what is right, name exactly one cause, give a next
step, say each thing once, use none of the programmer's words (tolerances, index
notation, internal codes, percentages) and, in Dutch, no English. ps2 (university)
keeps its precise voice. Follow-through: an answer right for the student's own earlier
answers earns its marks. Forgiving input: numbers typed as strings count; text that is
no number, a ragged grid and an answer typed below ``raise NotImplementedError()`` are
named in the student's words.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

import reference
from autograder.judging import registry
from autograder.judging.checks import ps1 as ps1_checks
from autograder.language import check_message, en, nl
from autograder.pipeline import rebuild
from autograder.pipeline.feedback import feedback_outputs
from autograder.pipeline.score import item_from_checks, score_check
from convgrade_kernel import probe
from convgrade_kernel.variants import variant

TEXTS = {"ps1": en, "ps1_nl": nl}
#: Programmer's words no school message may contain (and each misconception's internal key).
BANNED = ("tolerance", "<=", "1e-", "index (", "(transposed)", "%", "NameError", "ndarray", "dtype",
          *en.MISCONCEPTIONS)
#: English words that must not appear in a Dutch message (whole words).
ENGLISH_WORDS = re.compile(r"\b(the|your|right|wrong|row|rows|column|numbers|next|step|mistake|yet|should|"
                           r"cases|marks|expected|but|typed|answer|forgot|turned|well done)\b", re.IGNORECASE)
NEXT_STEP = {"ps1": "Next step: ", "ps1_nl": "Volgende stap: "}
SAME_MISTAKE = {"ps1": re.compile(r"^the same mistake as in row \d+\.$"),
                "ps1_nl": re.compile(r"^dezelfde fout als in rij \d+\.$")}
#: How a school message may start: what is right (a count of right numbers, or what the student did right).
RIGHT_FIRST = {
    "ps1": re.compile(r"^(\d+ of your \d+ numbers (is|are) right|Numbers are the right kind of answer|"
                      r"You typed one number, as asked|Your other rows all have \d+ numbers|You multiplied and "
                      r"added correctly|All the right numbers are there|You used the formula|You counted|Your "
                      r"sum of the products is right|Right)"),
    "ps1_nl": re.compile(r"^(\d+ van je \d+ getallen (klopt|kloppen)|Getallen zijn het goede soort antwoord|"
                         r"Je hebt één getal getypt, zoals gevraagd|Je andere rijen hebben allemaal \d+ getallen|"
                         r"Je hebt goed vermenigvuldigd en opgeteld|Alle goede getallen staan erin|Je hebt de "
                         r"formule gebruikt|Je hebt goed geteld|Je hebt de gewichten|Je som van de producten "
                         r"klopt|Goed)"),
}


def judge(assignment, item, value, student, namespace=None, unreached=()):
    """The CheckResult of ``value`` as ``student``'s answer to ``item``, through the probe,
    the JSON a results file carries, and the codec."""
    check_id = "%s.%s" % (assignment, item)
    check = registry.get(check_id)
    cases = check.cases(np.random.default_rng(0), student)
    namespace = dict(namespace or {})
    if value is not None:
        namespace[check.variable] = value
    records = {i: probe._run_case(check_id, i, c.plan_entry(), namespace, []) for i, c in enumerate(cases)}
    return score_check(check_id, cases, records, unreached)


def _transposed(v, k):
    return {"vertical_map": np.transpose(k["vertical_map"]).tolist()}


def _sizes_off_by_one(v, k):
    return {"output_sizes": [x - 1 for x in k["output_sizes"]]}


def _forgot_a_row(v, k):
    return {"vertical_map": k["vertical_map"][:3]}


def _convolution_for_correlation(v, k):
    return {"correlation": k["convolution"]}


def _text_in_the_smiley(v, k):
    return {"smiley": ["(1,2)"] + k["smiley"][1:]}


def _ragged_grid(v, k):
    grid = [list(r) for r in k["horizontal_map"]]
    grid[2] = grid[2][:3]
    return {"horizontal_map": grid}


def _bias_forgotten_on_weights(v, k):
    return {"layer_weights": k["layer_weights"] - k["layer_maps"]}


#: name -> (makes {item: wrong answer} from the variant and key, the keys the one cause may have, or None)
WRONG = {
    "transposed map": (_transposed, ("transposed",)),
    # with padding 1 and stride 1, forgetting the +1 gives what counting the padding once gives
    "output size off by one": (_sizes_off_by_one, ("off_by_one", "padding_once")),
    "forgot a row": (_forgot_a_row, None),
    "convolution instead of correlation": (_convolution_for_correlation, ("flipped_kernel",)),
    "text in answer_smiley": (_text_in_the_smiley, None),
    "ragged grid": (_ragged_grid, None),
    "bias forgotten on counting weights": (_bias_forgotten_on_weights, ("bias_forgotten",)),
}


def _student_where(condition):
    for i in range(200):
        student = "voice%d" % i
        if condition(variant("ps1", student), ps1_checks.answer_key("ps1", student)):
            return student
    raise AssertionError("no student found")


#: a student whose maps are not symmetric and whose correlation and convolution differ in every cell
STUDENT = _student_where(lambda v, k: np.asarray(k["vertical_map"]).tolist() != np.transpose(k["vertical_map"])
                         .tolist() and (np.asarray(k["correlation"]) != np.asarray(k["convolution"])).all())


def _causes(texts):
    """Every cause sentence the school voice has in ``texts`` (en or nl)."""
    return [c for _, c, _ in texts.SCHOOL_MISTAKES.values()] + [c for c, _ in texts.SCHOOL_NOTES.values()]


def _lines(message):
    """The title line's text after the title ("" when it is the title alone), then each
    '- label: ' line's text."""
    first, *rest = message.split("\n")
    return [first.split(": ", 1)[1] if ": " in first else ""] + [line.split(": ", 1)[1] for line in rest]


def assert_school_voice(assignment, message, cause):
    texts = TEXTS[assignment]
    for token in BANNED:
        assert token not in message, (token, message)
    if assignment == "ps1_nl":
        english = ENGLISH_WORDS.findall(re.sub(r"\banswer_\w+", "", message))
        assert not english, (english, message)
    lines = _lines(message)
    assert RIGHT_FIRST[assignment].match(next(line for line in lines if line)), message  # what is right first
    for line in lines[1:] if len(lines) > 1 else lines:
        if not SAME_MISTAKE[assignment].match(line):  # a mistake said again names only where it was
            assert line.count(NEXT_STEP[assignment]) == 1, line  # one next step
    named = [c for c in _causes(texts) if c in message]
    assert len(set(named)) <= 1, named  # one cause, never a list of possible ones
    if cause is not None:
        topic_cause = [c for key, (_, c, _) in texts.SCHOOL_MISTAKES.items() if key.split("/")[0] in cause]
        assert named and named[0] in topic_cause, (cause, message)
        assert message.count(named[0]) == 1
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s", message) if s.strip()]
    assert len(sentences) == len(set(sentences)), message  # nothing said twice


@pytest.mark.parametrize("assignment", ["ps1", "ps1_nl"])
@pytest.mark.parametrize("name", list(WRONG))
def test_a_typical_wrong_answer_gets_the_school_voice(assignment, name):
    make, cause = WRONG[name]
    v, key = variant("ps1", STUDENT), ps1_checks.answer_key("ps1", STUDENT)
    (item, wrong), = make(v, key).items()
    result = judge(assignment, item, wrong, STUDENT)
    assert result.fraction < 1 and result.audience == "school"
    assert_school_voice(assignment, check_message(result), cause)


def test_the_places_are_counted_from_one_and_the_mistake_keeps_its_row():
    key = ps1_checks.answer_key("ps1", STUDENT)
    almost = [list(r) for r in key["vertical_map"]]
    almost[1][2] += 1  # index (1, 2): row 2, column 3
    message = check_message(judge("ps1", "vertical_map", almost, STUDENT))
    assert "15 of your 16 numbers are right. You are close!" in message
    assert "row 2, column 3" in message and "redo row 2" in message
    dutch = check_message(judge("ps1_nl", "vertical_map", almost, STUDENT))
    assert "15 van je 16 getallen kloppen." in dutch and "rij 2, kolom 3" in dutch
    one_right = [[x + 1 for x in r] for r in key["vertical_map"]]
    one_right[0][0] -= 1
    assert "1 van je 16 getallen klopt." in check_message(judge("ps1_nl", "vertical_map", one_right, STUDENT))
    # two rows with the same mistake: explained once, the second names its own row and the first
    student = _student_where(lambda v, k: len(v["sizes"]) >= 2)
    sizes = [x - 1 for x in ps1_checks.answer_key("ps1", student)["output_sizes"]]
    message = check_message(judge("ps1", "output_sizes", sizes, student))
    assert "- row 2: the same mistake as in row 1." in message
    assert sum(message.count(cause) for cause in _causes(en)) == 1  # explained once
    dutch = check_message(judge("ps1_nl", "output_sizes", sizes, student))
    assert "- rij 2: dezelfde fout als in rij 1." in dutch


def school_cause(key, topic, texts):
    return (texts.SCHOOL_MISTAKES.get("%s/%s" % (key, topic)) or texts.SCHOOL_MISTAKES[key])[1]


def test_an_explanation_fits_its_item():
    """bias_forgotten on counting weights speaks of one bias number per filter, on the colour
    image of adding the bias to the sum: never of maps."""
    v, key = variant("ps1", STUDENT), ps1_checks.answer_key("ps1", STUDENT)
    weights = check_message(judge("ps1", "layer_weights", key["layer_weights"] - key["layer_maps"], STUDENT))
    assert "each filter also has one bias number" in weights and "map" not in weights.split(": ", 1)[1]
    rgb = check_message(judge("ps1", "rgb", key["rgb"] - v["rgb_bias"], STUDENT))
    assert "you forgot the bias" in rgb and "each filter also has" not in rgb


def test_the_feedback_cell_says_the_cause_once_without_percentages():
    key = ps1_checks.answer_key("ps1_nl", STUDENT)
    result = judge("ps1_nl", "correlation", key["convolution"], STUDENT)
    item = item_from_checks("ps1_nl", "test_correlation", 1, [result.check_id], [result])
    text = feedback_outputs(item, [result], "nl")[0]["text"]
    assert text.startswith("Score: 0 van 1\n")
    assert text.count(school_cause("flipped_kernel", "map", nl)) == 1 and "Waarschijnlijk" not in text
    assert "%" not in text


# ------------------------------------------------------------------ forgiving input

@pytest.mark.parametrize("assignment", ["ps1", "ps1_nl"])
def test_numbers_typed_as_strings_count(assignment):
    key = ps1_checks.answer_key(assignment, STUDENT)
    as_text = {
        "vertical_map": [[str(x) for x in row] for row in key["vertical_map"]],
        "smiley": [str(x) for x in key["smiley"]],
        "output_sizes": tuple(" %s " % x for x in key["output_sizes"]),
        "avg_pool": [["%.2f" % x for x in row] for row in key["avg_pool"]],
        "dilated_size": str(key["dilated_size"]),
    }
    for item, value in as_text.items():
        result = judge(assignment, item, value, STUDENT)
        assert result.passed, (item, check_message(result))
    assert not judge(assignment, "dilated_size", "nan", STUDENT).passed  # text, not a number


def test_text_and_ragged_grids_are_named_in_the_students_words():
    key = ps1_checks.answer_key("ps1", STUDENT)
    smiley = check_message(judge("ps1", "smiley", ["(1,2)"] + key["smiley"][1:], STUDENT))
    assert '- position 1: This answer is one number, but you gave the text "(1,2)".' in smiley
    assert "looks like a row and a column" in smiley and "3 of your 4 numbers are right" in smiley
    grid = [list(r) for r in key["horizontal_map"]]
    grid[2].append(0)
    ragged = check_message(judge("ps1", "horizontal_map", grid, STUDENT))
    assert "Your other rows all have 4 numbers, but row 3 has 5." in ragged
    assert "inhomogeneous" not in ragged and "array" not in ragged
    dutch = check_message(judge("ps1_nl", "horizontal_map", grid, STUDENT))
    assert "Je andere rijen hebben allemaal 4 getallen, maar rij 3 heeft er 5." in dutch


RELEASE_CELL = "# four whole numbers\n# YOUR CODE HERE\nraise NotImplementedError()\n"


@pytest.mark.parametrize("assignment, says", [
    ("ps1", "Your answer answer_smiley is below `raise NotImplementedError()`, so it never ran"),
    ("ps1_nl", "Je antwoord answer_smiley staat onder `raise NotImplementedError()`, dus het is nooit uitgevoerd")])
def test_an_answer_below_raise_not_implemented_is_named_and_not_accepted(assignment, says):
    """The cell stops at the raise, so the answer never ran: it earns nothing (the student's
    notebook never ran it either), and the message says which line to delete."""
    key = ps1_checks.answer_key(assignment, STUDENT)
    source = RELEASE_CELL + "answer_smiley = %r\n" % key["smiley"]
    cell = nbformat.v4.new_code_cell(source, metadata={"nbgrader": {"solution": True, "grade": False,
                                                                    "grade_id": "answer_smiley"}})
    merged = nbformat.v4.new_notebook(cells=[cell])
    assert rebuild.unreached_answers(merged) == {"answer_smiley"}
    namespace = {}
    with pytest.raises(NotImplementedError):
        exec(source, namespace)  # what the student's kernel does with the cell
    result = judge(assignment, "smiley", None, STUDENT, namespace, rebuild.unreached_answers(merged))
    assert result.fraction == 0
    assert says in check_message(result) and check_message(result).count(says) == 1
    # the stub alone (or an answer above the raise) is not "below the raise"
    for stub in (RELEASE_CELL, "answer_smiley = [1, 2, 3, 4]\n" + RELEASE_CELL):
        cell.source = stub
        assert rebuild.unreached_answers(merged) == frozenset()
    blank = check_message(judge(assignment, "smiley", None, STUDENT))
    assert "answer_smiley" in blank and "NameError" not in blank and says not in blank


# ------------------------------------------------------------------ follow-through

def test_a_combined_map_right_for_the_students_own_maps_earns_its_marks():
    key = ps1_checks.answer_key("ps1", STUDENT)
    own_vertical = [list(r) for r in key["vertical_map"]]
    own_vertical[0][0] += 2  # a mistake in one cell of the vertical map
    own_combined = (np.asarray(own_vertical) + np.asarray(key["horizontal_map"])).tolist()
    namespace = {"answer_vertical": own_vertical, "answer_horizontal": key["horizontal_map"]}
    assert judge("ps1", "vertical_map", own_vertical, STUDENT).fraction < 1
    for assignment, says in (("ps1", "Right for your own vertical and horizontal maps above"),
                             ("ps1_nl", "Goed voor je eigen verticale en horizontale kaart hierboven")):
        result = judge(assignment, "combined_map", own_combined, STUDENT, namespace)
        assert result.passed and says in check_message(result), check_message(result)
    # the same numbers without the maps they follow from, or not their sum, earn nothing extra
    assert not judge("ps1", "combined_map", own_combined, STUDENT).passed
    wrong_sum = [list(r) for r in own_combined]
    wrong_sum[3][3] += 1
    assert not judge("ps1", "combined_map", wrong_sum, STUDENT, namespace).passed


def test_maps_copied_from_a_classmate_earn_no_follow_through():
    """Follow-through is for the student's own attempt at their own numbers: a classmate's
    three maps, handed in whole, add up but earn nothing."""
    theirs = _student_where(lambda v, k: not _close_maps(k, ps1_checks.answer_key("ps1", STUDENT)))
    copied = ps1_checks.answer_key("ps1", theirs)
    namespace = {"answer_vertical": copied["vertical_map"], "answer_horizontal": copied["horizontal_map"]}
    assert not judge("ps1", "combined_map", copied["combined_map"], STUDENT, namespace).passed


def _close_maps(a, b):
    """Whether two keys' vertical or horizontal maps agree in three quarters of their numbers."""
    return any(np.mean(np.asarray(a[m]) == np.asarray(b[m])) >= 0.75 for m in ("vertical_map", "horizontal_map"))


def test_other_chains_of_ps1_follow_through():
    """The convolution with the student's own turned kernel; the weights of the student's
    own number of feature maps."""
    v, key = variant("ps1", STUDENT), ps1_checks.answer_key("ps1", STUDENT)
    own_turned = v["corr_kernel"].T.tolist()  # a known mistake in answer_flipped: mirrored, not turned
    assert judge("ps1", "flipped_kernel", own_turned, STUDENT).outcomes[0].misconception == "transposed"
    own_convolution = ps1_checks._correlate(v["corr_image"], np.asarray(own_turned, dtype=float)).tolist()
    result = judge("ps1", "convolution", own_convolution, STUDENT, {"answer_flipped": own_turned})
    assert result.passed and "turned kernel" in check_message(result)
    maps = key["layer_maps"] + 2
    weights = maps * (v["layer_kernel"] ** 2 * v["layer_channels"] + 1)
    result = judge("ps1_nl", "layer_weights", weights, STUDENT, {"answer_layer_maps": maps})
    assert result.passed and "aantal kenmerkkaarten" in check_message(result)
    assert not judge("ps1", "layer_weights", weights, STUDENT).passed


# ------------------------------------------------------------------ the university voice stays precise

def test_ps2_messages_stay_precise():
    """A university check (ps2) keeps the tolerance, the index and the misconception's
    full explanation: the school voice is for ps1 only."""
    check = registry.get("ps2.conv2d")
    assert check.audience == "university" and registry.get("ps1.bump").audience == "school"
    def transposed_conv2d(image, kernel, stride=1, padding=0):
        return reference.conv2d(np.asarray(image, float)[None, None], np.asarray(kernel, float)[None, None],
                                stride=stride, padding=padding)[0, 0].T

    cases = check.cases(np.random.default_rng(1), "alice")
    records = {i: probe._run_case("ps2.conv2d", i, c.plan_entry(), {"conv2d": transposed_conv2d}, [])
               for i, c in enumerate(cases)}
    message = check_message(score_check("ps2.conv2d", cases, records))
    assert "cases right" in message and "%" in message
    assert "tolerance" in message or "|yours - expected|" in message or "Expected an array of shape" in message
    assert "Next step" not in message


# ------------------------------------------------------------------ every path of a Dutch notebook

def test_every_path_of_a_dutch_notebook_is_dutch(tmp_path):
    """A blank answer, a crash, a time-out (the check never reached), a damaged or missing
    notebook: a ps1_nl student reads each in Dutch."""
    root = Path(__file__).resolve().parents[2]
    source, release = (root / part / "ps1_nl" / "ps1_nl.ipynb" for part in ("source", "release"))
    damaged = tmp_path / "ps1_nl.ipynb"
    damaged.write_bytes(b'{"cells": [')
    corrupt = rebuild.rebuild_notebook("ps1_nl", source, release, damaged)
    missing = rebuild.rebuild_notebook("ps1_nl", source, release, tmp_path / "absent.ipynb")
    assert corrupt.status == "corrupt" and corrupt.problem.startswith("Je notebook ps1_nl.ipynb kon niet gelezen")
    assert "not valid JSON" in corrupt.detail  # the teacher's line keeps the reason
    assert missing.problem == "ps1_nl.ipynb is niet ingeleverd."
    cases = registry.get("ps1_nl.bump").cases(None, STUDENT)
    crashed = {0: {"check": "ps1_nl.bump", "case": 0, "ok": False, "error": "ZeroDivisionError",
                   "message": "division by zero"}}
    messages = {
        "blank": check_message(judge("ps1_nl", "bump", None, STUDENT)),
        "crash": check_message(score_check("ps1_nl.bump", cases, crashed)),
        "time-out": check_message(score_check("ps1_nl.bump", cases, {})),
    }
    assert "Je hebt answer_bump nog niet beantwoord" in messages["blank"]
    assert "de variabele answer_bump gaf een foutmelding, ZeroDivisionError" in messages["crash"]
    assert "de variabele answer_bump is nooit nagekeken" in messages["time-out"]
    for path, message in messages.items():
        english = ENGLISH_WORDS.findall(re.sub(r"\banswer_\w+|NotImplementedError|ZeroDivisionError.*", "", message))
        assert not english and "was never reached" not in message, (path, message)


def test_the_dutch_school_voice_has_every_sentence_and_no_english():
    assert set(nl.SCHOOL) == set(en.SCHOOL) and set(nl.SCHOOL_MISTAKES) == set(en.SCHOOL_MISTAKES)
    assert set(nl.SCHOOL_NOTES) == set(en.SCHOOL_NOTES)
    sentences = list(nl.SCHOOL.values()) + [s for parts in nl.SCHOOL_MISTAKES.values() for s in parts] \
        + [s for parts in nl.SCHOOL_NOTES.values() for s in parts]
    for sentence in sentences:
        assert not ENGLISH_WORDS.findall(sentence), sentence
        assert sentence.count("%") == en_twin_placeholders(sentence), sentence
    for key, sentence in nl.SCHOOL.items():  # the same placeholders as the English
        assert re.findall(r"%[ds]", sentence) == re.findall(r"%[ds]", en.SCHOOL[key]), key


def en_twin_placeholders(sentence):
    """How many % a sentence may have: one per placeholder, no literal percent sign."""
    return len(re.findall(r"%[ds]", sentence))
