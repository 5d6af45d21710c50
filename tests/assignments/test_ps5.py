"""ps5, "Beyond the plain convolution": the notebook, its hidden checks and its release.

The answer key (``autograder/judging/checks/ps5.py``, computed with ``reference``) is held
against an independent oracle: PyTorch's ``conv_transpose2d``, ``conv2d`` with ``groups`` and
``dilation``, ``conv3d`` (shapes on the meta device), parameter counts of ``torch.nn`` layers,
multiplications counted from torch's output and weight shapes, and receptive fields read off
torch's autograd. Planted mistakes must be named as their misconception. Two real sandboxed
gradings (``grade_submission``) show that the model solution earns every point and the blank
release none. ``ps5_nl``, the Dutch twin, has the same cells, code, points and numbers, and
its checks judge alike and speak Dutch.
"""
from __future__ import annotations

import ast
import inspect
import math
import re
import shutil
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder.judging import registry
from autograder.judging.checks import ps5 as ps5_checks
from autograder.judging.checks import ps5_nl as ps5_nl_checks
from autograder.language import en, nl
from autograder.pipeline.score import score_check
from convgrade_kernel import probe
from convgrade_kernel.variants import variant
from test_ps2_nl_ps3_nl import code_shape  # tests/assignments is on sys.path under pytest (no __init__.py)

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "source" / "ps5" / "ps5.ipynb"
RELEASE = ROOT / "release" / "ps5" / "ps5.ipynb"
SOURCE_NL = ROOT / "source" / "ps5_nl" / "ps5_nl.ipynb"
RELEASE_NL = ROOT / "release" / "ps5_nl" / "ps5_nl.ipynb"

#: test cell grade_id -> (check id, points)
TEST_CELLS = {
    "test_transposed_by_hand": ("ps5.transposed_by_hand", 2),
    "test_conv_transpose2d": ("ps5.conv_transpose2d", 3),
    "test_round_trip": ("ps5.round_trip", 2),
    "test_separable_weights": ("ps5.separable_weights", 2),
    "test_separable_mults": ("ps5.separable_mults", 2),
    "test_depthwise_separable_conv2d": ("ps5.depthwise_separable_conv2d", 3),
    "test_dilated_size": ("ps5.dilated_size", 1),
    "test_dilated_map": ("ps5.dilated_map", 2),
    "test_video": ("ps5.video", 2),
    "test_receptive_field": ("ps5.receptive_field", 2),
}
MANUAL = {"answer_not_inverse": 2}
CHECK_IDS = [check_id for check_id, _ in TEST_CELLS.values()]
STUDENTS = ["alice", "s123456", "bob.jansen@example.org", "demo-student", "x"]


def read(path):
    return nbformat.read(path, as_version=4)


def model_namespace(student, source=SOURCE):
    """The source notebook's code cells run here as ``student`` would run them (hidden checks left out)."""
    namespace = {}
    for cell in read(source).cells:
        if cell.cell_type != "code":
            continue
        source = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", cell.source, flags=re.S)
        if cell.id == "student_id":
            source = "MY_ID = %r" % student
        exec(source, namespace)
    return namespace


def grade_in_process(namespace, student, check_ids=CHECK_IDS, seed=0):
    """{check id: CheckResult} of ps5's checks against ``namespace``, through the probe and the codec."""
    results = {}
    for check_id in check_ids:
        check = registry.get(check_id)
        cases = check.cases(np.random.default_rng(seed), student)
        records = {i: probe._run_case(check_id, i, c.plan_entry(), namespace, check.library_functions)
                   for i, c in enumerate(cases)}
        results[check_id] = score_check(check_id, cases, records)
    return results


def t(a):
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


# ------------------------------------------------------------------ the oracle: torch

def torch_transpose(x, w, stride=1):
    return F.conv_transpose2d(t(x)[None, None], t(w)[None, None], stride=stride)[0, 0].numpy()


def torch_separable(x, depthwise, pointwise):
    """Channels-last x (H, W, C), depthwise (kh, kw, C), pointwise (C, F) through torch's grouped conv."""
    c = x.shape[-1]
    depth = F.conv2d(t(x).permute(2, 0, 1)[None], t(depthwise).permute(2, 0, 1)[:, None], groups=c)
    out = F.conv2d(depth, t(pointwise).T[:, :, None, None])
    return out[0].permute(1, 2, 0).numpy()


def torch_mults(conv, x):
    """Multiplications of ``conv`` on ``x``: every output value takes one product per weight of its filter."""
    out = conv(x)
    return out.numel() * math.prod(conv.weight.shape[1:])


def torch_video(v):
    """(frames', height', width', filters) and the weights (biases included) of variant ``v``'s 3-D convolution."""
    frames, height, width, channels = (int(a) for a in v["video"])
    conv3d = torch.nn.Conv3d(channels, int(v["video_filters"]), tuple(int(a) for a in v["video_kernel"]),
                             stride=tuple(int(a) for a in v["video_stride"]),
                             padding=tuple(int(a) for a in v["video_padding"]), device="meta")
    out = conv3d(torch.zeros(1, channels, frames, height, width, device="meta"))
    return (out.shape[2], out.shape[3], out.shape[4], out.shape[1]), sum(p.numel() for p in conv3d.parameters())


def torch_receptive_field(strides):
    """Receptive field of a stack of 3-tap 1-D convolutions: the inputs that reach one output value."""
    x = torch.ones(1, 1, 400, dtype=torch.float64, requires_grad=True)
    y = x
    for s in strides:
        y = F.conv1d(y, torch.ones(1, 1, 3, dtype=torch.float64), stride=s)
    y[0, 0, y.shape[-1] // 2].backward()
    return int((x.grad[0, 0] != 0).sum())


@pytest.mark.parametrize("student", STUDENTS)
def test_answer_key_agrees_with_torch(student):
    v = variant("ps5", student)
    key = ps5_checks.answer_key("ps5", student)

    assert np.array_equal(key["answer_upsampled"], torch_transpose(v["up_input"], v["up_kernel"], 2))
    assert np.shape(key["answer_upsampled"]) == (4, 4)
    small = F.conv2d(t(v["round_image"])[None, None], t(v["up_kernel"])[None, None], stride=2)
    back = F.conv_transpose2d(small, t(v["up_kernel"])[None, None], stride=2)[0, 0].numpy()
    assert np.array_equal(key["answer_round_trip"], back) and not np.array_equal(back, v["round_image"])

    k, c_in, c_out, size = v["sep_kernel"], v["sep_in"], v["sep_out"], v["sep_size"]
    standard = torch.nn.Conv2d(c_in, c_out, k, padding="same", device="meta")
    depthwise = torch.nn.Conv2d(c_in, c_in, k, padding="same", groups=c_in, device="meta")
    pointwise = torch.nn.Conv2d(c_in, c_out, 1, device="meta")
    image = torch.zeros(1, c_in, size, size, device="meta")
    assert key["answer_standard_weights"] == sum(p.numel() for p in standard.parameters())
    assert key["answer_separable_weights"] == sum(p.numel() for m in (depthwise, pointwise) for p in m.parameters())
    assert key["answer_standard_mults"] == torch_mults(standard, image)
    assert key["answer_separable_mults"] == torch_mults(depthwise, image) + torch_mults(pointwise, depthwise(image))

    n, kd, padding, dilation = (int(a) for a in v["dilated_row"])
    signal = torch.zeros(1, 1, n, device="meta")
    assert key["answer_dilated_size"] == F.conv1d(signal, torch.zeros(1, 1, kd, device="meta"), padding=padding,
                                                  dilation=dilation).shape[-1]
    dilated = F.conv2d(t(v["dilated_image"])[None, None], t(v["dilated_kernel"])[None, None], dilation=2)[0, 0]
    assert np.array_equal(key["answer_dilated_map"], dilated.numpy())

    shape, weights = torch_video(v)
    assert tuple(key["answer_video_shape"]) == shape and key["answer_video_weights"] == weights

    assert key["answer_rf_plain"] == torch_receptive_field([1] * int(v["rf_layers"]))
    assert key["answer_rf_strided"] == torch_receptive_field([int(s) for s in v["rf_strides"]])


def test_the_worked_examples_hold_for_torch():
    """The numbers the notebook's text states, recomputed by torch (and the formulas it teaches)."""
    assert np.array_equal(torch_transpose([[1, 2], [3, 4]], [[1, 0], [0, 2]], 2),
                          [[1, 0, 2, 0], [0, 2, 0, 4], [3, 0, 4, 0], [0, 6, 0, 8]])
    standard, depthwise = torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.Conv2d(8, 8, 3, padding=1, groups=8)
    pointwise, image = torch.nn.Conv2d(8, 16, 1), torch.zeros(1, 8, 10, 10)
    assert sum(p.numel() for p in standard.parameters()) == 1168
    assert sum(p.numel() for m in (depthwise, pointwise) for p in m.parameters()) == 224
    assert torch_mults(standard, image) == 115200
    assert torch_mults(depthwise, image) + torch_mults(pointwise, image) == 20000
    assert F.conv1d(torch.zeros(1, 1, 10), torch.zeros(1, 1, 3), padding=1, dilation=2).shape[-1] == 8
    conv3d = torch.nn.Conv3d(3, 8, 3, stride=(1, 2, 2), padding=(0, 1, 1))
    assert conv3d(torch.zeros(1, 3, 16, 64, 64)).shape == (1, 8, 14, 32, 32)
    assert sum(p.numel() for p in conv3d.parameters()) == 656
    assert torch_receptive_field([2, 1, 1]) == 11 and torch_receptive_field([1, 1, 1]) == 7
    text = "\n".join(cell.source for cell in read(SOURCE).cells)
    for stated in ("1168", "224", "115200", "20000", "(14, 32, 32, 8)", "656", "= 11$", "= 7$ cells"):
        assert stated in text, stated


@pytest.mark.parametrize("check_id", ["ps5.conv_transpose2d", "ps5.depthwise_separable_conv2d"])
def test_expected_values_of_code_items_agree_with_torch(check_id):
    oracle = torch_transpose if check_id == "ps5.conv_transpose2d" else torch_separable
    for seed in range(3):
        for case in registry.get(check_id).cases(np.random.default_rng(seed), "student"):
            assert np.allclose(case.expected, oracle(*case.args, **case.kwargs), rtol=1e-12, atol=1e-12), case.describe


# ------------------------------------------------------------------ the notebook

def test_source_notebook_has_valid_nbgrader_cells():
    nb = read(SOURCE)
    nbformat.validate(nb)
    ids = [cell.id for cell in nb.cells]
    assert len(set(ids)) == len(ids)
    tests, manual = {}, {}
    for cell in nb.cells:
        nbg = cell.metadata.nbgrader
        assert nbg["schema_version"] == 3 and cell.id == nbg["grade_id"], cell.id
        if nbg["solution"]:
            assert not nbg["locked"]
            if nbg["grade"]:
                manual[cell.id] = nbg["points"]
                assert cell.cell_type == "markdown"
            else:
                assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
        elif nbg["grade"]:
            assert cell.cell_type == "code" and nbg["locked"]
            hidden = re.search(r"### BEGIN HIDDEN TESTS\n(.*)\n### END HIDDEN TESTS", cell.source, re.S)
            public = cell.source[:hidden.start()]
            asserts = re.findall(r"^assert .+, \"", public, re.M)
            assert "import convgrade_kernel" in public and len(asserts) >= 2, cell.id
            tests[cell.id] = (hidden.group(1).strip(), nbg["points"])
        else:
            assert nbg["locked"], cell.id
    assert tests == {gid: ('convgrade_kernel.check("%s", globals())' % cid, pts)
                     for gid, (cid, pts) in TEST_CELLS.items()}
    assert manual == MANUAL


@pytest.mark.parametrize("student", STUDENTS[:3])
def test_model_solutions_earn_every_check(student):
    results = grade_in_process(model_namespace(student), student)
    for check_id, result in results.items():
        assert result.fraction == 1.0, (check_id, result)


VECTORISED_TRANSPOSE = '''
def conv_transpose2d(x, w, stride=1):
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    (h, wd), (kh, kw) = x.shape, w.shape
    out = np.zeros(((h - 1) * stride + kh, (wd - 1) * stride + kw))
    for a in range(kh):  # one strided slice per kernel cell: all input cells at once
        for b in range(kw):
            out[a:a + (h - 1) * stride + 1:stride, b:b + (wd - 1) * stride + 1:stride] += x * w[a, b]
    return out
'''


def test_a_vectorised_transpose_earns_every_check():
    namespace = {"np": np}
    exec(VECTORISED_TRANSPOSE, namespace)
    (result,) = grade_in_process(namespace, "alice", ["ps5.conv_transpose2d"]).values()
    assert result.fraction == 1.0, result


# ------------------------------------------------------------------ planted mistakes

def _mistake(solution_id, old, new):
    """The model solution of ``solution_id`` with ``old`` replaced by ``new`` (it must be there)."""
    source = next(cell.source for cell in read(SOURCE).cells if cell.id == solution_id)
    assert old in source, (solution_id, old)
    return source.replace(old, new)


CODE_MISTAKES = [
    ("ps5.conv_transpose2d", "conv_transpose2d", "] += x[i, j] * w", "] = x[i, j] * w",
     "transpose_overlap_overwritten"),
    ("ps5.conv_transpose2d", "conv_transpose2d", "out[i * stride:i * stride + kh, j * stride:j * stride + kw]",
     "out[i:i + kh, j:j + kw]", None),  # stride ignored inside the loop: shape right, values wrong
    ("ps5.depthwise_separable_conv2d", "depthwise_separable_conv2d", "return depth @ pointwise", "return depth",
     "pointwise_forgotten"),
]


@pytest.mark.parametrize("check_id, solution_id, old, new, misconception", CODE_MISTAKES)
def test_a_mistake_in_code_costs_marks_and_is_named(check_id, solution_id, old, new, misconception):
    namespace = {"np": np}
    exec(textwrap.dedent(_mistake(solution_id, old, new)), namespace)
    (result,) = grade_in_process(namespace, "alice", [check_id]).values()
    assert result.fraction < 1.0
    if misconception:
        assert any(o.misconception == misconception for o in result.outcomes), result


BY_HAND_MISTAKES = [
    ("ps5.separable_weights", "answer_separable_weights",
     lambda v: v["sep_kernel"] ** 2 * v["sep_in"] * v["sep_out"] + v["sep_out"], "separable_counted_as_standard"),
    ("ps5.separable_weights", "answer_standard_weights",
     lambda v: v["sep_kernel"] ** 2 * v["sep_in"] * v["sep_out"], "weight_count_bias_forgotten"),
    ("ps5.separable_mults", "answer_separable_mults",
     lambda v: v["sep_size"] ** 2 * v["sep_kernel"] ** 2 * v["sep_in"] * v["sep_out"], "separable_counted_as_standard"),
    ("ps5.dilated_size", "answer_dilated_size",
     lambda v: (v["dilated_row"][0] + 2 * v["dilated_row"][2] - v["dilated_row"][1]) // v["dilated_row"][3] + 1,
     "dilation_as_stride"),
    ("ps5.dilated_map", "answer_dilated_map",
     lambda v: F.conv2d(t(v["dilated_image"])[None, None], t(v["dilated_kernel"])[None, None],
                        stride=2)[0, 0].numpy().tolist(), "dilation_as_stride"),
    ("ps5.round_trip", "answer_round_trip", lambda v: v["round_image"].tolist(), "transposed_is_inverse"),
    ("ps5.transposed_by_hand", "answer_upsampled",
     lambda v: torch_transpose(v["up_input"], v["up_kernel"], 1).tolist(), "transpose_stride_ignored"),
    ("ps5.video", "answer_video_weights",
     lambda v: int(np.prod(v["video_kernel"])) * 3 * v["video_filters"], "weight_count_bias_forgotten"),
    ("ps5.receptive_field", "answer_rf_strided", lambda v: 9, "rf_strides_ignored"),
    ("ps5.transposed_by_hand", "answer_upsampled",
     lambda v: torch_transpose(v["up_input"], v["up_kernel"][::-1, ::-1], 2).tolist(), "flipped_kernel"),
    ("ps5.separable_weights", "answer_separable_weights",
     lambda v: v["sep_kernel"] ** 2 * v["sep_in"] + v["sep_in"], "pointwise_forgotten"),
    ("ps5.separable_mults", "answer_standard_mults",
     lambda v: v["sep_kernel"] ** 2 * v["sep_in"] * v["sep_out"], "mults_one_position"),
    ("ps5.dilated_map", "answer_dilated_map",
     lambda v: F.conv2d(t(v["dilated_image"])[None, None], t(v["dilated_kernel"])[None, None])[0, 0].numpy(),
     "dilation_ignored"),
    ("ps5.video", "answer_video_shape", lambda v: (int(v["video"][0]),) + torch_video(v)[0][1:],
     "time_axis_not_convolved"),
    ("ps5.video", "answer_video_shape", lambda v: torch_video(v)[0][:3] + (3,), "output_channels_from_input"),
    ("ps5.video", "answer_video_weights",
     lambda v: sum(p.numel() for p in torch.nn.Conv2d(3, int(v["video_filters"]), tuple(int(a) for a in v[
         "video_kernel"][1:])).parameters()), "video_kernel_time_forgotten"),  # a 2-D layer's weights
    ("ps5.receptive_field", "answer_rf_plain", lambda v: 2 * int(v["rf_layers"]), "rf_plus_one_forgotten"),
    ("ps5.receptive_field", "answer_rf_plain", lambda v: 3 ** int(v["rf_layers"]), "rf_multiplied"),
    ("ps5.receptive_field", "answer_rf_strided",
     lambda v: 1 + sum(2 * math.prod(int(s) for s in v["rf_strides"][:i + 1]) for i in range(4)), "rf_own_stride"),
]


def test_every_misconception_of_ps5_is_planted_and_named():
    """Each misconception key ps5's checks name (the generic ones of the code items aside) has a mistake above."""
    own = {node.value for node in ast.walk(ast.parse(inspect.getsource(ps5_checks)))
           if isinstance(node, ast.Constant) and node.value in en.MISCONCEPTIONS}
    planted = {m for *_, m in BY_HAND_MISTAKES} | {m for *_, m in CODE_MISTAKES if m}
    assert own - {"transposed", "channels_confused"} <= planted, sorted(own - planted)


@pytest.mark.parametrize("check_id, variable, wrong, misconception", BY_HAND_MISTAKES)
@pytest.mark.parametrize("student", STUDENTS[:2])
def test_a_mistake_by_hand_costs_marks_and_is_named(check_id, variable, wrong, misconception, student):
    namespace = model_namespace(student)
    namespace[variable] = wrong(variant("ps5", student))
    (result,) = grade_in_process(namespace, student, [check_id]).values()
    assert result.fraction < 1.0
    outcome = next(o for o in result.outcomes if o.misconception)
    assert outcome.misconception == misconception and variable in outcome.message, outcome
    assert en.MISCONCEPTIONS[misconception] in outcome.message  # the student reads the explanation


def test_a_classmates_answers_are_answers_to_other_numbers():
    results = grade_in_process(model_namespace("alice"), "s123456",
                               ["ps5.transposed_by_hand", "ps5.separable_weights", "ps5.dilated_map"])
    assert all(result.fraction < 1.0 for result in results.values()), results


# ------------------------------------------------------------------ the release

def test_releases_are_current(assert_release_current):
    """A stale release fails: regenerate with `convgrade release ps5 --force` (and ps5_nl)."""
    assert_release_current("ps5", "ps5_nl")


@pytest.mark.parametrize("release", [RELEASE, RELEASE_NL])
def test_release_holds_no_solution_and_no_hidden_test(release):
    text = "\n".join(cell.source for cell in read(release).cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "convgrade_kernel.check" not in text
    assert "demo-student" not in text and "+= x[i, j] * w" not in text


# ------------------------------------------------------------------ ps5_nl, the Dutch twin

def test_the_dutch_notebook_has_the_cells_points_checks_and_code_of_the_english_one():
    english, dutch = read(SOURCE), read(SOURCE_NL)
    assert [(c.cell_type, c.id, c.metadata.get("nbgrader")) for c in english.cells] == \
        [(c.cell_type, c.id, c.metadata.get("nbgrader")) for c in dutch.cells]
    for e, d in zip(english.cells, dutch.cells):
        assert e.source != d.source, "an untranslated cell: %s" % e.id
        if e.cell_type == "code":
            assert code_shape(e.source) == code_shape(d.source), e.id
            assert re.findall(r'check\("ps5\.(\w+)"', e.source) == re.findall(r'check\("ps5_nl\.(\w+)"', d.source)
    assert 'variant("ps5_nl", STUDENT_ID)' in next(c.source for c in dutch.cells if c.id == "variant")


def test_the_dutch_notebook_shows_the_same_numbers_and_earns_every_check():
    assert ps5_nl_checks.answer_key("ps5_nl", "alice") == ps5_checks.answer_key("ps5", "alice")  # `convgrade key`
    dutch_ids = [c.id for c in ps5_nl_checks.CHECKS]
    assert dutch_ids == [c.id.replace("ps5.", "ps5_nl.", 1) for c in ps5_checks.CHECKS]
    assert sorted(dutch_ids) == sorted(i.replace("ps5.", "ps5_nl.", 1) for i in CHECK_IDS)
    results = grade_in_process(model_namespace("alice", SOURCE_NL), "alice", dutch_ids)
    assert all(result.fraction == 1.0 and result.lang == "nl" for result in results.values()), results


#: Every string of the ps5 checks module and the diagnosis it calls: the keys its checks can say.
USED = {node.value for obj in (ps5_checks, ps5_checks.diagnosis.output_size_mutants)
        for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(obj))))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)}


@pytest.mark.parametrize("table", ["PHRASES", "MISCONCEPTIONS"])
def test_every_sentence_the_ps5_checks_can_say_has_a_dutch_version(table):
    keys = {k for k in USED if k in getattr(en, table)}
    assert len(keys) >= {"PHRASES": 4, "MISCONCEPTIONS": 15}[table]
    assert not sorted(k for k in keys if k not in getattr(nl, table))
    assert not sorted(k for k in keys if getattr(nl, table)[k] == getattr(en, table)[k])
    assert all(c.id in nl.TITLES for c in ps5_nl_checks.CHECKS)


@pytest.mark.parametrize("check_id, variable, wrong, misconception", BY_HAND_MISTAKES[:4])
def test_a_dutch_mistake_is_judged_alike_and_named_in_dutch(check_id, variable, wrong, misconception):
    namespace = model_namespace("alice", SOURCE_NL)
    namespace[variable] = wrong(variant("ps5_nl", "alice"))
    english, = grade_in_process(namespace, "alice", [check_id]).values()
    dutch, = grade_in_process(namespace, "alice", [check_id.replace("ps5.", "ps5_nl.", 1)]).values()
    assert dutch.fraction == english.fraction < 1.0
    outcome = next(o for o in dutch.outcomes if o.misconception)
    assert outcome.misconception == misconception
    assert nl.MISCONCEPTIONS[misconception] in outcome.message
    assert en.MISCONCEPTIONS[misconception] not in outcome.message


# ------------------------------------------------------------------ one real grading each

@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The model solution (as kim) and the untouched release (as lee), each graded in the sandbox."""
    from autograder.course import Course
    from autograder.pipeline.grade import grade_submission

    root = tmp_path_factory.mktemp("ps5") / "course"
    for part in ("source", "release"):
        shutil.copytree(ROOT / part / "ps5", root / part / "ps5")
    for student, notebook in (("kim", SOURCE), ("lee", RELEASE)):
        (root / "submitted" / student / "ps5").mkdir(parents=True)
        shutil.copy(notebook, root / "submitted" / student / "ps5" / "ps5.ipynb")
    return {student: grade_submission(Course(root), "ps5", student) for student in ("kim", "lee")}


@pytest.mark.slow
def test_model_solution_earns_every_autograded_point_in_the_sandbox(graded):
    result = graded["kim"]
    assert result.status == "graded", result.detail
    scores = {item.grade_id: (item.score, item.max_score) for item in result.items}
    for grade_id, (_, points) in TEST_CELLS.items():
        assert scores[grade_id] == (points, points), (grade_id, next(
            i.message for i in result.items if i.grade_id == grade_id))
    assert scores["answer_not_inverse"] == (None, 2)  # the teacher grades the written answer
    assert result.variant_id == "kim"


@pytest.mark.slow
def test_untouched_release_earns_nothing_in_the_sandbox(graded):
    result = graded["lee"]
    scores = {item.grade_id: item.score for item in result.items if item.grade_id in TEST_CELLS}
    assert scores == dict.fromkeys(TEST_CELLS, 0), result.items
