"""ps3 "Filters on real images" and ps4 "Learning the filters": notebooks, checks, releases.

Fast tests run the source notebooks' code cells in this process (figures go to Agg, widgets
have no front end) and hold the hidden checks (``autograder/judging/checks/ps3.py``, ``ps4.py``)
against the model solutions and against answers that are wrong on purpose, one mistake
each; they drive the filter explorer widget, and compare the committed ``release/`` with
what ``nbgrader generate_assignment`` makes of ``source/`` now.

The slow test grades one batch through the real ``nbgrader autograde`` CLI, whose kernels
run the hidden checks in-process: the source notebooks earn every autograded point, the
untouched releases earn nothing, and a ps4 whose dx forgets to turn the kernel loses that
item and only that one. It also times each source notebook's execution (budget: 60 s).
"""
from __future__ import annotations

import ast
import copy
import io
import json
import re
import shutil
import textwrap
import types
import warnings
from datetime import datetime
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder.judging import registry
from autograder.judging.checks import ps3 as ps3_checks
from autograder.judging.checks import ps4 as ps4_checks
from autograder.language import check_message
from autograder.pipeline.score import score_check
from convgrade_kernel import probe

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = ("ps3", "ps4")

#: test cell grade_id -> (check id, points), per assignment
TEST_CELLS = {
    "ps3": {"test_apply_filter": ("ps3.apply_filter", 2), "test_feature_value": ("ps3.feature_value", 1),
            "test_filter_image": ("ps3.filter_image", 2), "test_output_sizes": ("ps3.output_sizes", 1),
            "test_rgb_filter": ("ps3.rgb_filter", 2), "test_relu_pool": ("ps3.relu_pool", 1),
            "test_diagonal_filter": ("ps3.diagonal_filter", 1)},
    "ps4": {"test_conv2d_backward": ("ps4.conv2d_backward", 3),
            "test_numerical_gradient": ("ps4.numerical_gradient", 2),
            "test_learn_detector": ("ps4.learn_detector", 2), "test_conv_layer": ("ps4.conv_layer", 2),
            "test_digits_cnn": ("ps4.digits_cnn", 3)},
}
#: manually graded markdown answer cells: grade_id -> points
ANSWER_CELLS = {
    "ps3": {"answer_filter_effects": 2, "answer_stride_padding": 1, "answer_relu_pool": 1},
    "ps4": {"answer_learned_detector": 1, "answer_learned_filters": 1},
}
#: the budget of one source notebook, top to bottom, in a kernel
EXECUTION_BUDGET_S = 60


def source_path(name):
    return ROOT / "source" / name / ("%s.ipynb" % name)


def release_path(name):
    return ROOT / "release" / name / ("%s.ipynb" % name)


def read(path):
    return nbformat.read(path, as_version=4)


def run_cells(nb, namespace=None):
    """Execute every code cell of ``nb`` except the test cells in ``namespace`` (a fresh one
    by default), figures drawn by Agg and closed; returns the namespace."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    namespace = {"__name__": "__notebook__"} if namespace is None else namespace
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "FigureCanvasAgg is non-interactive"
        for cell in nb.cells:
            if cell.cell_type == "code" and not cell.metadata["nbgrader"].get("grade"):
                exec(compile(cell.source, "<%s>" % cell.id, "exec"), namespace)
                plt.close("all")
    return namespace


@pytest.fixture(scope="module")
def model():
    """{assignment: namespace after running its source notebook's code cells here}."""
    return {name: run_cells(read(source_path(name))) for name in ASSIGNMENTS}


def drawn_cases(check_id, seed=0):
    """The cases :func:`grade` draws for ``check_id`` with ``seed``."""
    return registry.get(check_id).cases(np.random.default_rng(seed), "student")


def grade(namespace, check_id, seed=0):
    """The CheckResult of ``check_id`` against ``namespace``, through the probe and the codec
    exactly as a kernel's records would arrive; never raises."""
    check = registry.get(check_id)
    cases = drawn_cases(check_id, seed)
    records = {i: probe._run_case(check_id, i, json.loads(json.dumps(c.plan_entry())), namespace,
                                  check.library_functions) for i, c in enumerate(cases)}
    records = json.loads(json.dumps(records, allow_nan=True))
    result = score_check(check_id, cases, {int(k): v for k, v in records.items()})
    return result


def with_code(namespace, code):
    """A copy of ``namespace`` in which ``code`` replaced some of the model's answers, as if
    the student's cell held it: the notebook's own functions (locked helpers included) see
    the replacements; the model's versions stay reachable as ``_model_<name>``."""
    copied = {}
    for key, value in namespace.items():
        if isinstance(value, types.FunctionType) and value.__globals__ is namespace:
            rebound = types.FunctionType(value.__code__, copied, value.__name__, value.__defaults__,
                                         value.__closure__)
            rebound.__kwdefaults__ = value.__kwdefaults__
            copied[key] = rebound
            copied["_model_" + key] = value
        else:
            copied[key] = value
    exec(textwrap.dedent(code), copied)
    return copied


# ------------------------------------------------------------------ the source notebooks

@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_source_notebook_has_valid_nbgrader_cells(name):
    nb = read(source_path(name))
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    ids = [cell.id for cell in nb.cells]
    assert len(set(ids)) == len(ids), "cell ids must be unique"
    tests, answers = {}, {}
    for cell in nb.cells:
        nbg = cell.metadata.nbgrader
        assert nbg["schema_version"] == 3 and nbg["grade_id"] == cell.id, cell.id
        if nbg["solution"] and cell.cell_type == "code":
            assert not nbg["grade"] and not nbg["locked"], cell.id
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source, cell.id
        elif nbg["solution"]:  # a written answer, graded by hand
            assert nbg["grade"] and not nbg["locked"], cell.id
            answers[cell.id] = nbg["points"]
        elif nbg["grade"]:
            assert cell.cell_type == "code" and nbg["locked"], cell.id
            tests[cell.id] = (cell.source, nbg["points"])
        else:
            assert nbg["locked"], "instructions and given code are read-only: %s" % cell.id
        # the students' kernels have neither package: a notebook must not need them
        assert not re.search(r"^\s*(import|from)\s+(reference|autograder)\b", cell.source, re.M), cell.id
    assert answers == ANSWER_CELLS[name]
    assert sorted(tests) == sorted(TEST_CELLS[name])
    for grade_id, (source, points) in tests.items():
        check_id, expected_points = TEST_CELLS[name][grade_id]
        assert points == expected_points, grade_id
        hidden = re.search(r"### BEGIN HIDDEN TESTS\n(.*)\n### END HIDDEN TESTS", source, re.S)
        assert hidden and hidden.group(1).strip() == \
            'import convgrade_kernel\nconvgrade_kernel.check("%s", globals())' % check_id, grade_id
        public = ast.parse(source[:hidden.start()])
        asserts = [node for node in ast.walk(public) if isinstance(node, ast.Assert)]
        assert asserts and all(node.msg is not None for node in asserts), \
            "every public assert explains itself: %s" % grade_id
    registered = {c.id for c in registry.checks_module(name).CHECKS}
    assert registered == {check_id for check_id, _ in TEST_CELLS[name].values()}, \
        "every check has a test cell, and every test cell a check"
    intro = nb.cells[0].source  # the points the introduction promises are the points there are
    auto, manual = sum(p for _, p in TEST_CELLS[name].values()), sum(ANSWER_CELLS[name].values())
    assert re.search(r"\b%d\s+checked\s+automatically" % auto, intro), intro
    assert re.search(r"\b%d\s+for\s+your\s+written\s+answers" % manual, intro), intro


@pytest.mark.parametrize("name", ASSIGNMENTS)
@pytest.mark.parametrize("seed", [0, 1])
def test_model_solutions_earn_every_check(model, name, seed):
    results = {check_id: grade(model[name], check_id, seed) for check_id, _ in TEST_CELLS[name].values()}
    failed = {k: check_message(r) for k, r in results.items() if not r.passed}
    assert not failed, failed


def test_expected_values_come_from_the_photographs_the_notebook_uses(model):
    """The grader rebuilds camera and astronaut itself; they must be the notebook's."""
    np.testing.assert_array_equal(ps3_checks.camera_image(), model["ps3"]["camera"])
    np.testing.assert_array_equal(ps3_checks.astronaut_image(), model["ps3"]["astronaut"])
    np.testing.assert_array_equal(ps3_checks.RED_FILTER, model["ps3"]["RED_FILTER"])
    np.testing.assert_array_equal(ps3_checks.SOBEL_X, model["ps3"]["FILTERS"]["vertical edges (Sobel)"])
    np.testing.assert_array_equal(ps4_checks.VERTICAL, model["ps4"]["VERTICAL"])
    for mine, theirs in zip(ps4_checks.digits_split(), (model["ps4"][k] for k in ("X_train", "X_test", "y_train", "y_test"))):
        np.testing.assert_array_equal(mine, theirs)


def test_the_stated_numbers_are_the_reference_answers():
    """Oracles independent of the model solution: the lesson's worked example and the
    output-size formula, by hand."""
    import reference

    lines = np.zeros((8, 8))
    lines[:, 3:5] = 1
    np.testing.assert_array_equal(ps3_checks.correlate_valid(lines, ps4_checks.VERTICAL), [[0, 0, 3, 3, 0, 0]] * 6)
    cases = {c.value: c.expected for c in registry.get("ps3.output_sizes").cases(np.random.default_rng(0), "s")}
    assert cases == {"answer_size_stride2": (127, 127), "answer_padding_same": 2, "answer_size_7x7": (84, 84)}
    sobel = reference.correlate2d(ps3_checks.camera_image(), ps3_checks.SOBEL_X)
    row, col = ps3_checks.PIXEL
    patch = ps3_checks.camera_image()[row - 1:row + 2, col - 1:col + 2]  # centred on (row, col)
    assert np.isclose(sobel[row - 1, col - 1], np.sum(patch * ps3_checks.SOBEL_X))


# ------------------------------------------------------------------ wrong on purpose

WRONG = [
    # (check id, code replacing the model's answer, misconception or message fragment)
    ("ps3.apply_filter", '''
        def apply_filter(image, kernel):
            return _model_apply_filter(image, np.asarray(kernel)[::-1, ::-1])''', "flipped_kernel"),
    ("ps3.apply_filter", '''
        def apply_filter(image, kernel):
            kh, kw = np.shape(kernel)
            out = np.zeros_like(image, shape=(image.shape[0] - kh + 1, image.shape[1] - kw + 1))
            for i in range(out.shape[0]):
                for j in range(out.shape[1]):
                    out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
            return out''', "dtype uint8"),
    ("ps3.filter_image", '''
        def filter_image(image, kernel, stride=1, padding=0):
            return apply_filter(image, kernel)[::stride, ::stride]''', "no_padding"),
    ("ps3.filter_image", '''
        def filter_image(image, kernel, stride=1, padding=0):
            return apply_filter(np.pad(image, padding), kernel)''', "stride_ignored"),
    ("ps3.filter_image", '''
        def filter_image(image, kernel, stride=1, padding=0):
            return apply_filter(np.pad(image, max(padding, 0)), kernel)[::max(stride, 1), ::max(stride, 1)]''',
     "it should raise ValueError"),
    ("ps3.output_sizes", '''
        answer_size_stride2 = (126, 126)''', "off_by_one"),
    ("ps3.output_sizes", '''
        answer_size_7x7 = ((256 - 7 + 2) / 3 + 1, (256 - 7 + 2) / 3 + 1)''', "not_floored"),
    ("ps3.output_sizes", '''
        answer_padding_same = 4''', "padding_once"),
    ("ps3.feature_value", '''
        answer_pixel_value = sobel_map[100, 120]''', "top-left pixel"),
    ("ps3.feature_value", '''
        answer_map_shape = (256, 256)''', "answer_map_shape"),
    ("ps3.rgb_filter", '''
        def rgb_filter(image, kernel):
            return apply_filter(image[:, :, 0], kernel[:, :, 0])''', "channels_not_summed"),
    ("ps3.rgb_filter", '''
        def rgb_filter(image, kernel):
            return _model_rgb_filter(image, kernel) / image.shape[2]''', "channels_averaged"),
    ("ps3.relu_pool", '''
        def relu_pool(feature_map, size=2):
            rows, cols = feature_map.shape[0] // size, feature_map.shape[1] // size
            windows = feature_map[:rows * size, :cols * size].reshape(rows, size, cols, size)
            return windows.max(axis=(1, 3))  # no ReLU''',
     "relu_forgotten"),
    ("ps3.relu_pool", '''
        from numpy.lib.stride_tricks import sliding_window_view
        def relu_pool(feature_map, size=2):
            return sliding_window_view(np.maximum(feature_map, 0), (size, size)).max(axis=(2, 3))''',
     "overlapping_pool_windows"),
    ("ps3.diagonal_filter", '''
        my_diagonal_filter = np.fliplr(np.eye(3))''', "at most half"),
    ("ps3.diagonal_filter", '''
        my_diagonal_filter = -np.eye(3)''', "not positive"),
    ("ps3.diagonal_filter", '''
        my_diagonal_filter = np.eye(3) + 0.6''', "at most half"),
    ("ps4.conv2d_backward", '''
        def conv2d_backward(dout, x, w):
            dx, dw, db = _model_conv2d_backward(dout, x, w)
            kh, kw = np.shape(w)
            return conv2d_forward(np.pad(dout, ((kh - 1, kh - 1), (kw - 1, kw - 1))), w), dw, db''',
     "backward_dx_not_flipped"),
    ("ps4.conv2d_backward", '''
        def conv2d_backward(dout, x, w):
            dx, dw, db = _model_conv2d_backward(dout, x, w)
            return dx, dw[::-1, ::-1], db''', "backward_dw_flipped"),
    ("ps4.conv2d_backward", '''
        def conv2d_backward(dout, x, w):
            dx, dw, db = _model_conv2d_backward(dout, x, w)
            return dx, dw, dout''', "backward_db_not_summed"),
    ("ps4.conv2d_backward", '''
        def conv2d_backward(dout, x, w):
            return _model_conv2d_backward(dout, x, w)[:2]''', "tuple of 3 values"),
    ("ps4.numerical_gradient", '''
        def numerical_gradient(f, x, h=1e-5):
            grad = np.zeros_like(x)
            for index in np.ndindex(x.shape):
                x[index] += h
                f_plus = f(x)
                x[index] -= h  # back to x itself, not to x - h
                grad[index] = (f_plus - f(x)) / (2 * h)
            return grad''', "+h and -h"),
    ("ps4.numerical_gradient", '''
        def numerical_gradient(f, x, h=1e-5):
            return _model_numerical_gradient(f, x, h) * 2  # divided by 2h twice over''', "entries are wrong"),
    ("ps4.learn_detector", '''
        VERTICAL_COPY = VERTICAL.copy()
        def train_detector(images, targets, steps=150, lr=0.5, seed=0):
            return VERTICAL_COPY, 0.0  # what the notebook's example needs, learned from nothing''',
     "correlate only"),
    ("ps4.learn_detector", '''
        learned_kernel = -VERTICAL''', "correlate only"),
    ("ps4.conv_layer", '''
        def conv_layer_forward(x, W, b):
            return _model_conv_layer_forward(x, W[::-1, ::-1], b)''', "flipped_kernel"),
    ("ps4.conv_layer", '''
        def conv_layer_forward(x, W, b):
            return _model_conv_layer_forward(x, W, np.zeros_like(b))''', "bias_forgotten"),
    ("ps4.conv_layer", '''
        def conv_layer_backward(dz, x, W):
            dW, db = _model_conv_layer_backward(dz, x, W)
            return dW[::-1, ::-1], db''', "backward_dw_flipped"),
    ("ps4.digits_cnn", '''
        def predict(images):
            return cnn_forward(params, images)[0]''', "argmax"),
    ("ps4.digits_cnn", '''
        def predict(images):
            return np.zeros(len(images), dtype=int)''', "the target is 90%"),
]


@pytest.mark.parametrize("check_id, code, sign", WRONG, ids=["%s-%d" % (w[0], i) for i, w in enumerate(WRONG)])
def test_wrong_answers_lose_their_item_and_say_why(model, check_id, code, sign):
    namespace = with_code(model[check_id.split(".")[0]], code)
    result = grade(namespace, check_id, seed=3)
    assert result.fraction < 1.0, "a wrong answer earned full marks"
    misconceptions = {o.misconception for o in result.outcomes}
    assert sign in misconceptions or sign in check_message(result), (sign, misconceptions, check_message(result))
    if sign in misconceptions:
        from autograder.language.en import MISCONCEPTIONS

        assert MISCONCEPTIONS[sign] in check_message(result)  # the student reads the explanation


@pytest.mark.parametrize("check_id, code", [
    ("ps3.apply_filter", '''
        import scipy.signal
        def apply_filter(image, kernel):
            return scipy.signal.correlate2d(image, kernel, mode="valid")'''),
    ("ps3.rgb_filter", '''
        import scipy.ndimage
        def rgb_filter(image, kernel):
            full = scipy.ndimage.correlate(np.asarray(image, float), np.asarray(kernel, float), mode="constant")
            kh, kw, c = np.shape(kernel)
            return full[kh // 2:image.shape[0] - (kh - 1 - kh // 2), kw // 2:image.shape[1] - (kw - 1 - kw // 2), c // 2]'''),
    ("ps4.conv2d_backward", '''
        import scipy.signal
        def conv2d_backward(dout, x, w):
            return (scipy.signal.convolve2d(dout, w, mode="full"), scipy.signal.correlate2d(x, dout, mode="valid"),
                    float(np.sum(dout)))'''),
])
def test_library_convolutions_earn_nothing(model, check_id, code):
    result = grade(with_code(model[check_id.split(".")[0]], code), check_id, seed=2)
    calls = [o for o, case in zip(result.outcomes, drawn_cases(check_id, seed=2)) if case.call]
    assert calls and all(o.fraction == 0.0 and "write it yourself" in o.message for o in calls), check_message(result)
    assert result.library_calls, check_message(result)


def test_one_sided_differences_are_accurate_enough(model):
    """The tolerance of ps4.numerical_gradient (stated in its message) accepts a forward
    difference: it is a correct numerical gradient, only a less accurate one."""
    namespace = with_code(model["ps4"], '''
        def numerical_gradient(f, x, h=1e-5):
            grad = np.zeros_like(x)
            base = f(x)
            for index in np.ndindex(x.shape):
                x[index] += h
                grad[index] = (f(x) - base) / h
                x[index] -= h
            return grad''')
    assert grade(namespace, "ps4.numerical_gradient", seed=4).passed


def test_digits_accuracy_earns_partial_credit_below_the_target():
    check = registry.get("ps4.digits_cnn")
    case = check.cases(np.random.default_rng(0), "s")[0]
    labels = case.context["labels"]
    assert "labels" not in json.dumps(case.plan_entry()) and len(case.args[0]) == len(labels) == 450
    seventy = labels.copy()
    seventy[:135] = (seventy[:135] + 1) % 10  # 70% right
    outcome = check.compare(case, seventy)
    assert outcome.fraction == pytest.approx((0.7 - 0.1) / (0.9 - 0.1)) and "70.0%" in outcome.message
    assert check.compare(case, labels).fraction == 1.0
    ninety = labels.copy()
    ninety[:45] = (ninety[:45] + 1) % 10
    assert check.compare(case, ninety).fraction == 1.0  # exactly the stated target


def test_messages_do_not_reveal_hidden_inputs(model):
    """Feedback may name shapes and the first wrong index, never the numbers drawn."""
    namespace = with_code(model["ps4"], '''
        def conv2d_backward(dout, x, w):
            dx, dw, db = _model_conv2d_backward(dout, x, w)
            return dx * 1.5, dw[::-1, ::-1], db + 1''')
    check = registry.get("ps4.conv2d_backward")
    cases = check.cases(np.random.default_rng(8), "s")
    result = grade(namespace, "ps4.conv2d_backward", seed=8)
    text = check_message(result) + " ".join(o.message for o in result.outcomes)
    for case in cases:
        for value in np.concatenate([np.ravel(a) for a in case.args]):
            for shown in ("%.4f" % value, "%.3g" % value):
                if len(shown.lstrip("-")) >= 5:
                    assert shown not in text, shown


# ------------------------------------------------------------------ the filter explorer

def _widgets_with_class(widget, css_class):
    found = [widget] if css_class in getattr(widget, "_dom_classes", ()) else []
    for child in getattr(widget, "children", ()):
        found += _widgets_with_class(child, css_class)
    return found


def _png_shape(data):
    import matplotlib.image

    return matplotlib.image.imread(io.BytesIO(data), format="png").shape


def test_filter_explorer_redraws_the_feature_map_on_every_control(model):
    ns = model["ps3"]
    explorer = ns["filter_explorer"](ns["camera"])
    (preset,), (output,), (relu,) = (_widgets_with_class(explorer, c) for c in
                                     ("filter-preset", "filter-output", "filter-relu"))
    cells = _widgets_with_class(explorer, "filter-cell")
    assert len(cells) == 9 and preset.value == "identity"
    assert _png_shape(output.value)[:2] == (254, 254)  # the map of a 3x3 filter on 256x256
    shown = [output.value]

    preset.value = "edges (Laplacian)"
    assert [c.value for c in cells] == ns["FILTERS"]["edges (Laplacian)"].ravel().tolist()
    shown.append(output.value)
    cells[4].value = -8.0  # typing a number makes the filter the student's own
    assert preset.value == "custom"
    shown.append(output.value)
    relu.value = True
    shown.append(output.value)
    assert len(set(shown)) == len(shown), "every change must redraw a different image"


def test_filter_explorer_survives_an_unwritten_apply_filter(model):
    """In the released notebook apply_filter raises NotImplementedError: the explorer says so."""
    explorer_cell = next(c for c in read(source_path("ps3")).cells if c.id == "explorer")
    namespace = with_code(model["ps3"], '''
        def apply_filter(image, kernel):
            raise NotImplementedError()''')
    exec(explorer_cell.source, namespace)
    explorer = namespace["filter_explorer"](namespace["camera"])
    status = explorer.children[-1]
    assert "apply_filter raised" in status.value and "NotImplementedError" in status.value


# ------------------------------------------------------------------ the releases

def test_releases_are_current(assert_release_current):
    assert_release_current(*ASSIGNMENTS)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_holds_no_solution_and_no_hidden_test(name):
    release = read(release_path(name))
    text = "\n".join(cell.source for cell in release.cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "convgrade_kernel.check" not in text
    for cell in release.cells:
        nbg = cell.metadata.nbgrader
        if nbg.get("solution") and cell.cell_type == "code":
            assert "raise NotImplementedError()" in cell.source, cell.id
        if nbg.get("solution") and cell.cell_type == "markdown":
            assert cell.source == "YOUR ANSWER HERE", cell.id
        assert not cell.get("outputs"), cell.id


@pytest.mark.parametrize("figure", ["ps3_filters.png", "ps4_learned_detector.png", "ps4_learned_filters.png"])
def test_docs_figures_are_readable_at_readme_width(figure):
    height, width = _png_shape((ROOT / "docs" / figure).read_bytes())[:2]
    assert 800 <= width <= 2000 and height >= 250, (width, height)


# ------------------------------------------------------------------ through nbgrader autograde

WRONG_DX = '''
def conv2d_backward(dout, x, w):
    kh, kw = np.shape(w)
    padded = np.pad(np.asarray(dout, dtype=float), ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    dx = conv2d_forward(padded, w)  # the kernel is not turned around
    return dx, conv2d_forward(x, dout), float(np.sum(dout))
'''


def _with_cell(nb, grade_id, source):
    nb = copy.deepcopy(nb)
    next(c for c in nb.cells if c.id == grade_id).source = source.strip()
    return nb


def _execution_seconds(nb):
    """Wall time from the first cell's start to the last cell's reply, from nbclient's timings."""
    stamps = [c.metadata.get("execution", {}) for c in nb.cells if c.cell_type == "code"]
    start = [s["iopub.execute_input"] for s in stamps if "iopub.execute_input" in s]
    end = [s["shell.execute_reply"] for s in stamps if "shell.execute_reply" in s]
    if not start or not end:
        return None
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (max(map(parse, end)) - min(map(parse, start))).total_seconds()


@pytest.fixture(scope="module")
def graded(nbgrader_course_module):
    """``nbgrader generate_assignment`` and ``nbgrader autograde`` once each, over both
    assignments: model and untouched submissions of each, and a ps4 whose dx is wrong.

    Returns ``({(assignment, student): {grade_id: (score, max)}}, {assignment: seconds the
    model notebook ran}, nbgrader's log)``. Students are created by autograde itself
    (``Autograde.create_student``), which saves one nbgrader start per student.
    """
    course = nbgrader_course_module
    submissions = {
        "ps3": {"model": read(source_path("ps3")), "untouched": read(release_path("ps3"))},
        "ps4": {"model": read(source_path("ps4")), "untouched": read(release_path("ps4")),
                "wrong_dx": _with_cell(read(source_path("ps4")), "conv2d_backward", WRONG_DX)},
    }
    for name, students in submissions.items():
        shutil.copytree(source_path(name).parent, course.root / "source" / name)
        for student, nb in students.items():
            folder = course.root / "submitted" / student / name
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / ("%s.ipynb" % name))
    course.nbgrader("generate_assignment", "*", "--force")
    proc = course.nbgrader("autograde", "*", "--force")
    scores = {(name, student): course.scores(name, student)
              for name, students in submissions.items() for student in students}
    seconds = {name: _execution_seconds(read(course.root / "autograded" / "model" / name / ("%s.ipynb" % name)))
               for name in submissions}
    return scores, seconds, proc.stdout + proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_source_notebook_earns_every_autograded_point_through_nbgrader(graded, name):
    scores, _, log = graded
    got = {g: scores[name, "model"][g] for g in TEST_CELLS[name]}
    assert got == {g: (float(p), float(p)) for g, (_, p) in TEST_CELLS[name].items()}, log[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_untouched_release_earns_zero_through_nbgrader(graded, name):
    scores, _, _ = graded
    untouched = scores[name, "untouched"]
    assert set(untouched) == set(TEST_CELLS[name]) | set(ANSWER_CELLS[name])
    assert {g: s for g, (s, _) in untouched.items()} == dict.fromkeys(untouched, 0.0)


@pytest.mark.slow
def test_backward_with_unflipped_dx_loses_that_item_only(graded):
    scores, _, _ = graded
    wrong = {g: scores["ps4", "wrong_dx"][g][0] for g in TEST_CELLS["ps4"]}
    expected = {g: float(p) for g, (_, p) in TEST_CELLS["ps4"].items()}
    expected["test_conv2d_backward"] = 0.0
    assert wrong == expected


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_source_notebook_runs_within_its_budget(graded, name):
    _, seconds, _ = graded
    assert seconds[name] is not None, "nbgrader kept no cell timings"
    assert seconds[name] < EXECUTION_BUDGET_S, "%s took %.1f s" % (name, seconds[name])
