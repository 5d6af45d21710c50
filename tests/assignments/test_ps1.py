"""ps1 "Feature maps by hand" and its Dutch twin ps1_nl: variants, answer key, checks, notebooks.

Fast tests hold the per-student variant, the answer key and the checks
(``autograder/judging/checks/ps1.py``) against independent oracles (SciPy, PyTorch, counting by
hand) and against the model solutions, wrong answers and values that are not answers, and
hold the committed ``release/`` against what ``nbgrader generate_assignment`` makes now.
The slow tests grade through the real nbgrader CLI (the source earns every autograded
point, the untouched release none) and through convgrade's grading of a submission filed
under a student id: the copying test, where alice's typed numbers handed in by bob earn
bob nothing.
"""
from __future__ import annotations

import copy
import hashlib
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from scipy import signal

from autograder.judging import registry
from autograder.judging.checks import ps1 as ps1_checks
from autograder.language import check_message, en, nl
from autograder.pipeline.in_process import run_in_process
from autograder.pipeline.score import score_check
from convgrade_kernel import probe
from convgrade_kernel.variants import variant
from tests.assignments.conftest import grade_model_and_untouched

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = ("ps1", "ps1_nl")


def source_path(assignment):
    return ROOT / "source" / assignment / ("%s.ipynb" % assignment)


def release_path(assignment):
    return ROOT / "release" / assignment / ("%s.ipynb" % assignment)


def read(path):
    return nbformat.read(path, as_version=4)


#: autograded test cell -> (item, points), in the notebook's order; the same in both languages
PART_A = {  # the core, about 45 minutes
    "test_bump": ("bump", 1), "test_vertical": ("vertical_map", 2), "test_sizes": ("output_sizes", 2),
    "test_max_pool": ("max_pool", 1),
}
PART_B = {  # the extension
    "test_horizontal": ("horizontal_map", 2), "test_combined": ("combined_map", 1),
    "test_smiley": ("smiley", 2), "test_filters": ("photo_filters", 2), "test_flipped": ("flipped_kernel", 1),
    "test_correlation": ("correlation", 1), "test_convolution": ("convolution", 1),
    "test_stride": ("stride_map", 1), "test_padded": ("padded_map", 1), "test_modes": ("padding_modes", 1),
    "test_dilated": ("dilated_size", 1), "test_avg_pool": ("avg_pool", 1), "test_rgb": ("rgb", 1),
    "test_layer_maps": ("layer_maps", 1), "test_layer_weights": ("layer_weights", 1),
    "test_receptive": ("receptive_field", 1),
}
TEST_CELLS = {**PART_A, **PART_B}
#: answer cell -> the items whose variables it sets, in the notebook's order
ANSWER_CELLS = {
    "answer_bump": ["bump"], "answer_vertical": ["vertical_map"], "answer_sizes": ["output_sizes"],
    "answer_max_pool": ["max_pool"],
    "answer_horizontal": ["horizontal_map"], "answer_combined": ["combined_map"], "answer_smiley": ["smiley"],
    "answer_filters": ["photo_filters"], "answer_flipped": ["flipped_kernel"],
    "answer_correlation": ["correlation"], "answer_convolution": ["convolution"],
    "answer_stride": ["stride_map"], "answer_padded": ["padded_map"], "answer_modes": ["padding_modes"],
    "answer_dilated": ["dilated_size"], "answer_avg_pool": ["avg_pool"], "answer_rgb": ["rgb"],
    "answer_layer": ["layer_maps", "layer_weights"], "answer_receptive": ["receptive_field"],
}
MANUAL_CELLS = {"effect_of_filters": 2, "pooling_effect": 1}
FULL = {grade_id: float(points) for grade_id, (_, points) in TEST_CELLS.items()}
ITEMS = [item for item, _ in TEST_CELLS.values()]


def variable(item):
    return registry.get("ps1.%s" % item).variable


def oracle_key(v):
    """The answers of variant ``v`` computed without ``reference``: SciPy, PyTorch and counting."""
    F = torch.nn.functional

    def t(a):
        return torch.tensor(np.asarray(a), dtype=torch.float64)

    def size(n, k, p, s, d=1):
        return F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s, padding=p, dilation=d).shape[-1]

    image, face, detector = v["lines_image"], v["smiley"], v["smiley_filter"]
    vertical = signal.correlate2d(image, v["vertical_filter"], mode="valid")
    horizontal = signal.correlate2d(image, v["horizontal_filter"], mode="valid")
    layer = torch.nn.Conv2d(v["layer_channels"], v["layer_filters"], v["layer_kernel"])
    n, k = v["modes"].tolist()
    photo, (r, c) = v["photo"], v["photo_centre"].tolist()
    window = photo[r - 1:r + 2, c - 1:c + 2]  # the 9 pixels around the centre, each filter's cell
    sharpen = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
    edge = np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]])
    layers, strided = v["stack_layers"], v["stack_stride_layer"]
    return {
        "bump": signal.correlate(v["bump_signal"], v["bump_filter"], mode="valid"),
        "vertical_map": vertical,
        "horizontal_map": horizontal,
        "combined_map": vertical + horizontal,
        # the lesson's rule: count the cells where the filter and the image both have a 1
        "smiley": [int(np.logical_and(face[r:r + 3, c:c + 3] == 1, detector == 1).sum())
                   for r, c in v["smiley_positions"]],
        "flipped_kernel": np.rot90(v["corr_kernel"], 2),
        "correlation": signal.correlate2d(v["corr_image"], v["corr_kernel"], mode="valid"),
        "convolution": signal.convolve2d(v["corr_image"], v["corr_kernel"], mode="valid"),
        "output_sizes": [size(*row) for row in v["sizes"].tolist()],
        "dilated_size": size(*v["dilated"].tolist()),
        "max_pool": F.max_pool2d(t(v["pool_input"])[None, None], 2).numpy()[0, 0],
        "avg_pool": F.avg_pool2d(t(v["pool_input"])[None, None], 2).numpy()[0, 0],
        "rgb": F.conv2d(t(v["rgb_patch"])[None], t(v["rgb_filter"])[None], t([v["rgb_bias"]])).item(),
        "layer_maps": layer(torch.zeros(1, v["layer_channels"], 9, 9)).shape[1],
        "layer_weights": sum(p.numel() for p in layer.parameters()),
        "photo_filters": [signal.correlate2d(window, sharpen, mode="valid").item(), window.mean(),
                          signal.correlate2d(photo, edge, mode="valid")[r - 1, c - 1]],
        "stride_map": F.conv2d(t(v["stride_image"])[None, None], t(v["stride_filter"])[None, None],
                               stride=2).numpy()[0, 0],
        "padded_map": signal.correlate2d(v["padded_image"], v["padded_filter"], mode="same"),
        # SciPy's own modes name the sizes: valid, same, full
        "padding_modes": [signal.correlate(np.ones(n), np.ones(k), mode=m).size for m in ("valid", "same", "full")],
        "receptive_field": [receptive_field_by_gradient([1] * layers),
                            receptive_field_by_gradient([2 if i == strided else 1 for i in range(1, layers + 1)])],
    }


def receptive_field_by_gradient(strides):
    """Pixels across that one output value of stacked 3 x 3 layers (ones as weights, the
    given strides) depends on: the width of the non-zero gradient of that value in PyTorch."""
    x = torch.zeros(1, 1, 64, 64, dtype=torch.float64, requires_grad=True)
    y = x
    for s in strides:
        y = torch.nn.functional.conv2d(y, torch.ones(1, 1, 3, 3, dtype=torch.float64), stride=s)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    return int(np.count_nonzero(x.grad[0, 0].abs().sum(axis=0).numpy()))


def judge(assignment, item, value, student):
    """The CheckResult of ``value`` as ``student``'s answer, through the probe and codec."""
    check_id = "%s.%s" % (assignment, item)
    check = registry.get(check_id)
    cases = check.cases(np.random.default_rng(0), student)
    records = {i: probe._run_case(check_id, i, c.plan_entry(), {check.variable: value}, [])
               for i, c in enumerate(cases)}
    return score_check(check_id, cases, records)


# ------------------------------------------------------------------ variants and key

def test_variant_is_a_pure_function_of_the_student_and_shared_by_both_languages():
    alice, again, dutch, bob = (variant("ps1", "alice"), variant("ps1", "alice"),
                                variant("ps1_nl", "alice"), variant("ps1", "bob"))
    assert alice.keys() == again.keys() == dutch.keys() == bob.keys()
    for key in alice:
        np.testing.assert_array_equal(alice[key], again[key])
        np.testing.assert_array_equal(alice[key], dutch[key])
    differing = [k for k in alice if not np.array_equal(alice[k], bob[k])]
    assert len(differing) >= len(alice) - 4, differing  # only the fixed line detectors may agree


def test_neighbours_get_different_questions():
    keys = [ps1_checks.answer_key("ps1", "student%02d" % i) for i in range(40)]
    for item in ("bump", "vertical_map", "correlation", "convolution", "max_pool", "avg_pool", "rgb",
                 "output_sizes", "layer_weights", "stride_map", "padded_map", "photo_filters"):
        distinct = {repr(k[item]) for k in keys}
        assert len(distinct) >= 20, (item, len(distinct))
    assert sum(k["smiley"] == [0] * 4 for k in keys) <= 2  # counts are rarely all zero


def test_variant_questions_are_well_posed():
    for i in range(60):
        v = variant("ps1", "s%d" % i)
        assert v["bump_signal"].shape == (9,) and set(np.unique(v["bump_signal"])) == {0, 1}
        image = v["lines_image"]
        assert image.shape == (6, 6) and (image.sum(axis=0) >= 3).any() and (image.sum(axis=1) >= 3).any()
        assert v["smiley"].shape == (7, 7) and len({tuple(p) for p in v["smiley_positions"].tolist()}) == 4
        assert ((0 <= v["smiley_positions"]) & (v["smiley_positions"] <= 4)).all()
        kernel = v["corr_kernel"]
        assert not np.array_equal(kernel, np.rot90(kernel, 2)), "correlation and convolution must differ"
        for n, k, p, s in v["sizes"].tolist():
            assert n + 2 * p >= k and s >= 1
        n, k, p, s, d = v["dilated"].tolist()
        assert n + 2 * p >= d * (k - 1) + 1 and d >= 2
        assert v["pool_input"].shape == (4, 4) and v["rgb_patch"].shape == v["rgb_filter"].shape == (3, 3, 3)
        assert v["stride_image"].shape == (5, 5) and np.count_nonzero(v["stride_filter"]) >= 3
        assert v["padded_image"].shape == (3, 3) and np.count_nonzero(v["padded_filter"]) >= 3
        n, k = v["modes"].tolist()
        assert k % 2 == 1 and k < n, "valid, same and full differ for an odd k below n"
        assert ((1 <= v["photo_centre"]) & (v["photo_centre"] <= 3)).all() and v["photo"].max() <= 9
        assert 1 <= v["stack_stride_layer"] < v["stack_layers"], "a layer after the stride-2 one shows the stride"


#: The keys ps1 had before Part B's items came; their values for an id must never change,
#: or answers students already typed would become wrong.
OLD_KEYS = ("bump_signal", "bump_filter", "lines_image", "vertical_filter", "horizontal_filter", "smiley",
            "smiley_filter", "smiley_positions", "corr_kernel", "corr_image", "sizes", "dilated", "pool_input",
            "rgb_patch", "rgb_filter", "rgb_bias", "layer_filters", "layer_kernel", "layer_channels")
#: sha256 of those keys' values for ids s000000 .. s000199, as the variant drew them before Part B
OLD_DIGEST = "b0b2c6eb5fb37c71ceeb2cefd7c65d6f204edc9fd32a48af12c2a939b1beae64"


def test_the_numbers_students_already_have_stay_the_same():
    digest = hashlib.sha256()
    for i in range(200):
        v = variant("ps1", "s%06d" % i)
        for key in OLD_KEYS:
            digest.update(("%s=%s;" % (key, np.asarray(v[key]).tolist())).encode())
    assert digest.hexdigest() == OLD_DIGEST


@pytest.mark.parametrize("student", ["alice", "bob", "s0001", "Zoë van der Berg", "42"])
def test_answer_key_agrees_with_independent_oracles(student):
    key, oracle = ps1_checks.answer_key("ps1", student), oracle_key(variant("ps1", student))
    assert list(key) == ITEMS
    for item in ITEMS:
        np.testing.assert_allclose(np.asarray(key[item], dtype=float), np.asarray(oracle[item], dtype=float),
                                   atol=1e-12, err_msg=item)
    assert ps1_checks.answer_key("ps1_nl", student) == key


def test_answer_key_is_plain_data_and_refuses_unknown_assignments():
    key = ps1_checks.answer_key("ps1", "alice")
    assert isinstance(key["vertical_map"], list) and isinstance(key["layer_weights"], int)
    assert all(isinstance(x, int) for x in key["output_sizes"])
    with pytest.raises(ValueError, match="assignment must be one of ps1, ps1_nl, got 'ps2'"):
        ps1_checks.answer_key("ps2", "alice")
    with pytest.raises(ValueError, match="student id is empty"):
        ps1_checks.answer_key("ps1", "")


# ------------------------------------------------------------------ the checks

@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_key_earns_every_check_in_process(assignment):
    key = ps1_checks.answer_key(assignment, "alice")
    namespace = {variable(item): key[item] for item in ITEMS}
    namespace["STUDENT_ID"] = "alice"
    for item in ITEMS:
        assert run_in_process("%s.%s" % (assignment, item), namespace).passed
    # numpy arrays and tuples are answers too
    namespace = {variable(item): np.asarray(key[item]) for item in ITEMS}
    namespace["answer_sizes"] = tuple(key["output_sizes"])
    for item in ITEMS:
        assert run_in_process("%s.%s" % (assignment, item), namespace, student="alice").passed


def test_answers_copied_from_a_classmate_fail_for_the_filed_under_student():
    alice, bob = ps1_checks.answer_key("ps1", "alice"), ps1_checks.answer_key("ps1", "bob")
    differing = [item for item in ITEMS if alice[item] != bob[item]]
    assert len(differing) >= len(ITEMS) - 2, differing
    for item in differing:
        assert judge("ps1", item, alice[item], "bob").fraction < 1, item
        assert judge("ps1", item, alice[item], "alice").fraction == 1, item


def _first_student_where(condition):
    for i in range(200):
        student = "m%d" % i
        v, key = variant("ps1", student), ps1_checks.answer_key("ps1", student)
        if condition(v, key):
            return student, v, key
    raise AssertionError("no student found")


MISTAKES = [
    # (item, how the wrong answer is made from the variant and key, misconception)
    ("correlation", lambda v, k: k["convolution"], "flipped_kernel"),
    ("bump", lambda v, k: signal.convolve(v["bump_signal"], v["bump_filter"], mode="valid").tolist(),
     "flipped_kernel"),
    ("vertical_map", lambda v, k: np.transpose(k["vertical_map"]).tolist(), "transposed"),
    ("max_pool", lambda v, k: k["avg_pool"], "average_instead_of_max"),
    ("avg_pool", lambda v, k: k["max_pool"], "max_instead_of_average"),
    ("output_sizes", lambda v, k: [x - 1 for x in k["output_sizes"]], "off_by_one"),
    ("output_sizes", lambda v, k: [(n - k_ + 2 * p) / s + 1 for n, k_, p, s in v["sizes"].tolist()],
     "not_floored"),
    ("dilated_size", lambda v, k: (lambda n, k_, p, s, d: (n + 2 * p - k_) // s + 1)(*v["dilated"].tolist()),
     "dilation_ignored"),
    ("rgb", lambda v, k: k["rgb"] - v["rgb_bias"], "bias_forgotten"),
    ("layer_weights", lambda v, k: v["layer_filters"] * v["layer_kernel"] ** 2 * v["layer_channels"],
     "bias_forgotten"),
    ("stride_map", lambda v, k: signal.correlate2d(v["stride_image"], v["stride_filter"], mode="valid").tolist(),
     "stride_ignored"),
    ("padded_map", lambda v, k: signal.correlate2d(np.pad(v["padded_image"], ((0, 2), (0, 2))), v["padded_filter"],
                                                   mode="valid").tolist(), "padding_one_side"),
    ("padding_modes", lambda v, k: k["padding_modes"][::-1], "padding_modes_swapped"),
    ("photo_filters", lambda v, k: [k["photo_filters"][0], k["photo_filters"][1] * 9, k["photo_filters"][2]],
     "blur_not_divided"),
    ("photo_filters", lambda v, k: [int(signal.correlate2d(v["photo"], np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
                                                           mode="valid")[tuple(v["photo_centre"])])] + k["photo_filters"][1:],
     "centre_as_corner"),
    ("receptive_field", lambda v, k: [k["receptive_field"][0], 2 * v["stack_layers"] + 1], "rf_strides_ignored"),
    ("receptive_field", lambda v, k: [x - 1 for x in k["receptive_field"]], "rf_plus_one_forgotten"),
]


@pytest.mark.parametrize("item, wrong, misconception", MISTAKES, ids=[m[2] + "-" + m[0] for m in MISTAKES])
def test_a_mistake_costs_marks_and_is_named_in_both_languages(item, wrong, misconception):
    def shows_the_mistake(v, k):
        answer = wrong(v, k)
        if item in ("output_sizes", "padding_modes", "photo_filters", "receptive_field"):
            # some row shows it (a stride-1 row cannot show not_floored; "same" stays in the middle)
            return any(not np.isclose(a, b) for a, b in zip(answer, k[item]))
        return np.shape(answer) != np.shape(k[item]) or not np.allclose(answer, k[item])

    student, v, key = _first_student_where(shows_the_mistake)
    answer = wrong(v, key)
    english, dutch = judge("ps1", item, answer, student), judge("ps1_nl", item, answer, student)
    for result in (english, dutch):
        assert result.fraction < 1
        named = {o.misconception for o in result.outcomes if o.fraction < 1}
        # two mistakes may give the same number in one row; diagnosis then names the specific one
        assert misconception in named and None not in named, named
    assert registry.get("ps1." + item).lang == "en" and registry.get("ps1_nl." + item).lang == "nl"
    # the school voice: the cause of this mistake, in the version that fits this item, in each language
    english_cause, dutch_cause = (school_cause(misconception, registry.get("ps1." + item).topic, texts)
                                  for texts in (en, nl))
    assert english_cause in check_message(english)
    assert dutch_cause in check_message(dutch) and english_cause not in check_message(dutch)
    assert "van je" in check_message(dutch) or "Je " in check_message(dutch)


def school_cause(key, topic, texts):
    """The cause sentence of misconception ``key`` on a ``topic`` answer in ``texts`` (en or nl)."""
    return (texts.SCHOOL_MISTAKES.get("%s/%s" % (key, topic)) or texts.SCHOOL_MISTAKES[key])[1]


def test_the_convolution_item_recognises_a_cross_correlation():
    student, v, key = _first_student_where(lambda v, k: k["correlation"] != k["convolution"])
    english = judge("ps1", "convolution", key["correlation"], student)
    dutch = judge("ps1_nl", "convolution", key["correlation"], student)
    assert english.fraction < 1 and "This is the cross-correlation" in check_message(english)
    assert "Dit is de kruiscorrelatie" in check_message(dutch)
    unturned = judge("ps1", "flipped_kernel", v["corr_kernel"].tolist(), student)
    assert unturned.fraction < 1 and "This is the kernel as it was" in check_message(unturned)


def test_a_feature_map_with_some_entries_wrong_earns_part_of_the_marks():
    key = ps1_checks.answer_key("ps1", "alice")
    almost = copy.deepcopy(key["vertical_map"])
    almost[3][3] += 1
    result = judge("ps1", "vertical_map", almost, "alice")
    assert 0 < result.fraction < 1 and "15 of your 16 numbers are right" in check_message(result)
    assert "row 4, column 4" in check_message(result)  # counted from 1
    sizes = [key["output_sizes"][0], -1, key["output_sizes"][2]]
    result = judge("ps1_nl", "output_sizes", sizes, "alice")
    assert result.fraction == pytest.approx(2 / 3) and "rij 2" in check_message(result)


class AlwaysEqual:
    def __eq__(self, other):
        return True


@pytest.mark.parametrize("value", ["3", None, AlwaysEqual(), [[1, 2], [3]], [[float("nan")] * 4] * 4,
                                   [[1, 2, 3, 4]] * 3, True, {"a": 1}])
def test_values_that_are_not_the_answer_earn_nothing_with_a_reason(value):
    for assignment in ASSIGNMENTS:
        for item in ("vertical_map", "output_sizes", "layer_maps"):
            result = judge(assignment, item, value, "alice")
            assert result.fraction == 0, (assignment, item, value)
            assert all(o.message for o in result.outcomes)


def test_a_missing_answer_or_id_earns_nothing_with_a_reason():
    result = score_check("ps1.bump", registry.get("ps1.bump").cases(None, "alice"),
                          {0: probe._run_case("ps1.bump", 0, {"value": "answer_bump"}, {}, [])})
    assert result.fraction == 0 and "You have not answered answer_bump yet" in check_message(result)
    with pytest.raises(ValueError, match="student id is empty"):
        run_in_process("ps1.bump", {"answer_bump": [0] * 7, "STUDENT_ID": ""})


# ------------------------------------------------------------------ the notebooks

def nbgrader_cells(nb):
    return [(c.cell_type, c.metadata.get("nbgrader")) for c in nb.cells]


def test_the_two_notebooks_are_twins_with_the_same_grading():
    english, dutch = read(source_path("ps1")), read(source_path("ps1_nl"))
    assert nbgrader_cells(english) == nbgrader_cells(dutch)
    for en, nl in zip(english.cells, dutch.cells):
        if en.cell_type == "markdown":
            assert en.source != nl.source, "an untranslated cell: %s" % en.source[:80]
        if "### BEGIN HIDDEN TESTS" in en.source:
            assert en.source.split("### BEGIN HIDDEN TESTS")[1] == \
                nl.source.split("### BEGIN HIDDEN TESTS")[1].replace('"ps1_nl.', '"ps1.')
    dutch_text = " ".join(c.source for c in dutch.cells if c.cell_type == "markdown")
    for term in ("kenmerkkaart", "stapgrootte (stride)", "opvulling (padding)", "filter", "kruiscorrelatie"):
        assert term in dutch_text, term
    assert 'variant("ps1_nl", STUDENT_ID)' in "".join(c.source for c in dutch.cells)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_part_a_is_the_core_and_part_b_the_extension(assignment):
    """Issue 12's two tiers: Part A (the core, about 45 minutes, for a 14-year-old) holds the
    sliding window, one line detector, output sizes and max pooling, before Part B's heading;
    every section of both parts says how long it takes."""
    cells = read(source_path(assignment)).cells
    ids = [c.get("id") for c in cells]
    start_a, start_b = ids.index("mb-part-a"), ids.index("mb-part-b")
    where = {c.metadata.get("nbgrader", {}).get("grade_id"): i for i, c in enumerate(cells)}
    assert all(start_a < where[g] < start_b for g in PART_A) and all(where[g] > start_b for g in PART_B)
    assert "45" in cells[start_a].source and cells[start_a].source.startswith(("# Part A", "# Deel A"))
    assert sum(points for _, points in PART_A.values()) == 6
    minutes = "minutes" if assignment == "ps1" else "minuten"
    sections = [c.source.splitlines()[0] for c in cells if c.cell_type == "markdown" and c.source.startswith("## ")]
    assert len(sections) == 1 + 4 + 10  # "0. Your numbers", A1-A4, B1-B10
    assert all(minutes in line for line in sections[1:]), sections


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_cells_follow_the_contract(assignment):
    nb = read(source_path(assignment))
    graded = {}
    for cell in nb.cells:
        nbg = cell.metadata.get("nbgrader", {})
        if nbg.get("grade") and cell.cell_type == "code":
            graded[nbg["grade_id"]] = nbg["points"]
            assert nbg.get("locked") and not nbg.get("solution")
            ids = [line.split('"')[1] for line in cell.source.splitlines()
                   if "convgrade_kernel.check(" in line]
            assert ids == ["%s.%s" % (assignment, TEST_CELLS[nbg["grade_id"]][0])]
            assert cell.source.index("### BEGIN HIDDEN TESTS") > cell.source.index("assert")
            for check_id in ids:
                registry.get(check_id)  # registered
        elif nbg.get("grade"):
            assert cell.cell_type == "markdown" and nbg.get("solution")
            assert MANUAL_CELLS[nbg["grade_id"]] == nbg["points"]
    assert graded == {k: v for k, v in FULL.items()}
    solutions = [c.metadata.nbgrader["grade_id"] for c in nb.cells
                 if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]
    assert solutions == ["student_id", *ANSWER_CELLS]
    assert nb.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("student", ["alice", "bob", "demo-student"])
def test_model_solutions_compute_the_key_from_any_variant(assignment, student, monkeypatch):
    """The source's solution cells, run here with plain NumPy, give the reference's key."""
    monkeypatch.delenv("CONVGRADE_STUDENT", raising=False)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    namespace = {}
    for cell in read(source_path(assignment)).cells:
        nbg = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or nbg.get("grade"):
            continue
        if nbg.get("grade_id") == "student_id":
            namespace["MY_ID"] = student
        elif nbg.get("solution") or nbg.get("grade_id") == "variant":
            exec(cell.source, namespace)
    assert namespace["STUDENT_ID"] == student
    key = ps1_checks.answer_key(assignment, student)
    for item in ITEMS:
        np.testing.assert_allclose(np.asarray(namespace[variable(item)], dtype=float),
                                   np.asarray(key[item], dtype=float), err_msg=item)


# ------------------------------------------------------------------ the release

def test_release_is_generated_from_the_current_source(assert_release_current):
    """A stale release fails: regenerate with `convgrade release ps1 --force` (and ps1_nl)."""
    assert_release_current(*ASSIGNMENTS)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_holds_no_solution_and_no_hidden_test(assignment):
    release = read(release_path(assignment))
    text = "\n".join(cell.source for cell in release.cells)
    for secret in ("BEGIN SOLUTION", "HIDDEN TESTS", "convgrade_kernel.check", "demo-student",
                   "sliding", "[::-1, ::-1]", "// s + 1"):
        assert secret not in text, secret
    for cell in release.cells:
        nbg = cell.metadata.get("nbgrader", {})
        if nbg.get("solution"):
            stub = "raise NotImplementedError()" if cell.cell_type == "code" else "YOUR ANSWER HERE"
            assert stub in cell.source, nbg["grade_id"]
        assert not cell.get("outputs")


# ------------------------------------------------------------------ through nbgrader autograde

def typed_by_hand(owner, assignment="ps1"):
    """The release notebook as ``owner`` fills it in: their id, their key typed as literal
    numbers (no code), and a sentence in each written answer."""
    nb = read(release_path(assignment))
    key = ps1_checks.answer_key(assignment, owner)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "student_id":
            cell.source = 'MY_ID = "%s"' % owner
        elif grade_id in ANSWER_CELLS:
            cell.source = "\n".join("%s = %r" % (variable(item), key[item])
                                    for item in ANSWER_CELLS[grade_id])
        elif grade_id in MANUAL_CELLS:
            cell.source = "The vertical filter finds vertical lines; max pooling keeps the strongest value."
    return nb


def test_a_typed_notebook_holds_only_literal_numbers():
    nb = typed_by_hand("alice")
    answers = [c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") in ANSWER_CELLS]
    assert len(answers) == len(ANSWER_CELLS)
    assert all("V[" not in a and "np." not in a for a in answers)
    assert 'answer_bump = [' in answers[0]


@pytest.fixture(scope="module")
def graded(nbgrader_course_module):
    """One `nbgrader generate_assignment` and one `nbgrader autograde` over both languages, each
    with the source ("model") and the untouched release handed in;
    {(assignment, student): {grade_id: score}}."""
    course = nbgrader_course_module
    # the course holds only ps1 and ps1_nl: "*" is both, in one nbgrader run each
    proc = grade_model_and_untouched(course, ASSIGNMENTS)
    scores = {}
    for assignment in ASSIGNMENTS:
        for student in ("model", "untouched"):
            grades = course.scores(assignment, student)
            assert {k: v[1] for k, v in grades.items() if k in FULL} == FULL
            assert {k: v[1] for k, v in grades.items() if k in MANUAL_CELLS} == MANUAL_CELLS
            scores[assignment, student] = {k: v[0] for k, v in grades.items() if k in FULL}
    return scores, proc.stdout + proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_model_solution_earns_every_autograded_point_through_nbgrader(graded, assignment):
    scores, log = graded
    assert scores[assignment, "model"] == FULL, log[-4000:]


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_release_earns_zero_through_nbgrader(graded, assignment):
    scores, _ = graded
    assert scores[assignment, "untouched"] == dict.fromkeys(FULL, 0.0)


@pytest.mark.slow
def test_copied_answers_earn_the_copier_nothing_and_the_owner_everything(nbgrader_course):
    """THE COPYING TEST. alice types the numbers of her own variant; bob hands in the very same
    notebook (it even says MY_ID = "alice"). Graded under the id each submission is filed under,
    alice keeps every by-hand point and bob loses every point whose answer differs for him."""
    from autograder.course import Course
    from autograder.pipeline.grade import grade_submission

    nbgrader_course.add_assignment("ps1")
    shutil.copytree(ROOT / "release" / "ps1", nbgrader_course.root / "release" / "ps1")
    alices = typed_by_hand("alice")
    for student in ("alice", "bob"):
        nbgrader_course.submit("ps1", student, {"ps1.ipynb": alices})
    course = Course(nbgrader_course.root)
    results = {student: grade_submission(course, "ps1", student, rng_seed=0) for student in ("alice", "bob")}
    scores = {student: {i.grade_id: i.score for i in r.items} for student, r in results.items()}
    messages = {i.grade_id: i.message for i in results["bob"].items}

    assert results["alice"].status == results["bob"].status == "graded", \
        (results["alice"].detail, results["bob"].detail)
    assert {g: scores["alice"][g] for g in FULL} == FULL
    assert {g: scores["alice"][g] for g in MANUAL_CELLS} == dict.fromkeys(MANUAL_CELLS)  # for the teacher

    alice_key, bob_key = ps1_checks.answer_key("ps1", "alice"), ps1_checks.answer_key("ps1", "bob")
    for grade_id, (item, points) in TEST_CELLS.items():
        if alice_key[item] != bob_key[item]:  # follow-through too: alice's maps are no attempt at bob's
            assert scores["bob"][grade_id] < points, (grade_id, messages[grade_id])
    bob_total = sum(scores["bob"][g] for g in FULL)
    assert bob_total <= 0.25 * sum(FULL.values()), scores["bob"]
    assert "None of your 4 numbers is right yet" in messages["test_correlation"]


@pytest.mark.slow
def test_a_typed_release_runs_clean_in_the_students_kernel(monkeypatch, tmp_path):
    """What a student runs: the release in the students' environment (no `reference`, no
    `autograder`), filled in by hand. Every cell runs, the public tests pass, the figures
    are drawn, and the numbers shown are the student's own."""
    from nbclient import NotebookClient

    monkeypatch.setenv("JUPYTER_PATH", str(ROOT / ".venv-student" / "share" / "jupyter"))
    for name in ("CONVGRADE_STUDENT", "JUPYTERHUB_USER", "CONVGRADE_PLAN"):
        monkeypatch.delenv(name, raising=False)
    nb = typed_by_hand("alice", "ps1_nl")
    NotebookClient(nb, kernel_name="convgrade-student", timeout=120, allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [(c.metadata.get("nbgrader", {}).get("grade_id"), o.get("ename"), o.get("evalue"))
              for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 10
    text = "".join(o.get("text", "") for o in outputs)
    assert "Jouw getallen horen bij leerlingnummer: alice" in text
    assert "jouw signaal: %s" % variant("ps1", "alice")["bump_signal"].tolist() in text
    assert text.count("De vorm klopt.") == len(TEST_CELLS) - 1  # test_combined draws instead


#: What only an English sentence of the feedback says.
ENGLISH = ("cases right", "of the marks", "Likely misconception", "Graded by your teacher", "No answer given",
           " of 1\n", " of 2\n", "the same mistake as above", "more case")


@pytest.mark.slow
def test_a_dutch_notebook_gets_feedback_in_dutch_from_the_first_line_to_the_last(tmp_path):
    """ps1_nl graded in a real sandboxed kernel: not only the checks' own messages but
    the score lines, headlines, misconception and notes on teacher-graded answers are
    Dutch (a 14-year-old reading it may not read English)."""
    from autograder.course import Course
    from autograder.pipeline.grade import grade_submission

    root = tmp_path / "course"
    for part in ("source", "release"):
        shutil.copytree(ROOT / part / "ps1_nl", root / part / "ps1_nl")
    # a student whose convolution differs from the correlation in every cell, so the swap earns nothing
    student, _, key = _first_student_where(
        lambda v, k: (np.asarray(k["correlation"]) != np.asarray(k["convolution"])).all())
    nb = typed_by_hand(student, "ps1_nl")
    own_vertical = [list(row) for row in key["vertical_map"]]
    own_vertical[1][2] += 1  # one slip in the vertical map
    own_combined = (np.asarray(own_vertical) + np.asarray(key["horizontal_map"])).tolist()
    release = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in read(release_path("ps1_nl")).cells}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "answer_correlation":  # the flipped kernel's answer where the CNN's is asked
            cell.source = "%s = %r" % (variable("correlation"), key["convolution"])
        elif grade_id == "answer_vertical":  # a mistake the combined map then follows through
            cell.source = "%s = %r" % (variable("vertical_map"), own_vertical)
        elif grade_id == "answer_combined":
            cell.source = "%s = %r" % (variable("combined_map"), own_combined)
        elif grade_id == "answer_dilated":  # typed below the stub, so it never runs
            cell.source = release[grade_id] + "\n%s = %r" % (variable("dilated_size"), key["dilated_size"])
        elif grade_id == "effect_of_filters":  # left as released
            cell.source = release[grade_id]
    folder = root / "submitted" / student / "ps1_nl"
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "ps1_nl.ipynb")

    result = grade_submission(Course(root), "ps1_nl", student)
    assert result.status == "graded", result.detail
    items = {i.grade_id: i for i in result.items}
    assert items["test_correlation"].score == 0 and items["test_bump"].score == 1
    # follow-through through the real kernel: the combined map is right for the student's own maps
    assert items["test_vertical"].score < 2 and items["test_combined"].score == 1
    assert items["test_dilated"].score == 0 and "staat onder `raise NotImplementedError()`" in \
        items["test_dilated"].message
    assert items["effect_of_filters"].message == "Geen antwoord gegeven."
    assert items["pooling_effect"].message == "Dit beoordeelt je docent."
    graded = nbformat.reads(result.notebooks["ps1_nl"], as_version=4)
    shown = {c.metadata["nbgrader"]["grade_id"]: "".join(o.get("text", "") for o in c.outputs)
             for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade_id") in TEST_CELLS}
    assert shown["test_bump"].startswith("Score: 1 van 1\n") and "Goed zo!" in shown["test_bump"]
    wrong = shown["test_correlation"]
    assert wrong.startswith("Score: 0 van 1\nKruiscorrelatie (answer_correlation): Je hebt goed vermenigvuldigd")
    # the one cause, said once, in the school voice
    assert wrong.count(school_cause("flipped_kernel", "map", nl)) == 1 and "Waarschijnlijk misverstand" not in wrong
    for grade_id, text in shown.items():
        assert text and not [e for e in ENGLISH if e in text], (grade_id, text)
