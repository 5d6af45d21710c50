"""ps2, "Convolution in code": the notebook, its hidden checks and its release.

Fast tests hold the checks (``autograder/judging/checks/ps2.py``) against the model solutions and
against wrong, cheating and library-calling answers in this process, and hold the committed
``release/ps2`` against what ``nbgrader generate_assignment`` makes of ``source/ps2`` now.
The slow tests grade one batch of submissions through the real ``nbgrader autograde`` CLI,
whose kernels run the hidden checks in-process, and read the points from the gradebook.
"""
from __future__ import annotations

import ast
import copy
import json
import re
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest

import reference
from autograder.judging import registry
from autograder.judging.checks import ps2 as ps2_checks
from autograder.language import check_message
from autograder.pipeline.plan import build_plan
from autograder.pipeline.score import read_records, score_check

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "source" / "ps2" / "ps2.ipynb"
RELEASE = ROOT / "release" / "ps2" / "ps2.ipynb"

#: test cell grade_id -> (check id, points)
TEST_CELLS = {
    "test_output_size": ("ps2.output_size", 2),
    "test_conv1d": ("ps2.conv1d", 2),
    "test_conv2d": ("ps2.conv2d", 4),
    "test_relu": ("ps2.relu", 1),
    "test_max_pool2d": ("ps2.max_pool2d", 2),
    "test_avg_pool2d": ("ps2.avg_pool2d", 2),
    "test_conv_layer": ("ps2.conv_layer", 4),
}
FUNCTIONS = ["output_size", "conv1d", "conv2d", "relu", "max_pool2d", "avg_pool2d", "conv_layer"]
CHECK_IDS = [check_id for check_id, _ in TEST_CELLS.values()]


def read(path):
    return nbformat.read(path, as_version=4)


def model_namespace():
    """The source notebook's imports and model solutions, executed here."""
    namespace: dict = {}
    for cell in read(SOURCE).cells:
        nbg = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (nbg.get("solution") or cell.id == "imports"):
            exec(cell.source, namespace)
    return namespace


def with_solutions(nb, solutions):
    """A copy of ``nb`` whose solution cells (by grade_id) hold ``solutions[grade_id]``."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell.source = textwrap.dedent(solutions[grade_id]).strip()
    return nb


def namespace_of(solutions):
    namespace = {"np": np}
    for grade_id in FUNCTIONS:
        exec(textwrap.dedent(solutions[grade_id]), namespace)
    return namespace


def grade_in_process(namespace, seed=0):
    """{check id: CheckResult} of every ps2 check against ``namespace``, never raising."""
    results = {}
    for check_id in CHECK_IDS:
        check = registry.get(check_id)
        rng = np.random.default_rng(seed)
        cases = check.cases(rng, "student")
        from convgrade_kernel import probe

        records = {i: probe._run_case(check_id, i, c.plan_entry(), namespace, check.library_functions)
                   for i, c in enumerate(cases)}
        results[check_id] = score_check(check_id, cases, records)
    return results


# ------------------------------------------------------------------ alternative answers

#: Correct, written with explicit loops over indices (no np.pad, lists inside).
LOOPS = {
    "output_size": '''
        def output_size(n, k, padding=0, stride=1):
            if k > n + 2 * padding:
                raise ValueError("kernel %d does not fit in %d + 2*%d" % (k, n, padding))
            count = 0
            position = 0
            while position + k <= n + 2 * padding:
                count += 1
                position += stride
            return count
    ''',
    "conv1d": '''
        def conv1d(x, w):
            result = []
            for i in range(len(x) - len(w) + 1):
                total = 0.0
                for j in range(len(w)):
                    total += x[i + j] * w[j]
                result.append(total)
            return result  # a plain list of numbers is an answer too
    ''',
    "conv2d": '''
        def conv2d(image, kernel, stride=1, padding=0):
            H, W = len(image), len(image[0])
            kh, kw = len(kernel), len(kernel[0])
            out = np.zeros(((H + 2 * padding - kh) // stride + 1, (W + 2 * padding - kw) // stride + 1))
            for i in range(out.shape[0]):
                for j in range(out.shape[1]):
                    for a in range(kh):
                        for b in range(kw):
                            r, c = i * stride + a - padding, j * stride + b - padding
                            if 0 <= r < H and 0 <= c < W:
                                out[i, j] += image[r][c] * kernel[a][b]
            return out
    ''',
    "relu": '''
        def relu(x):
            out = np.array(x, dtype=float)
            for index in np.ndindex(out.shape):
                if out[index] < 0:
                    out[index] = 0.0
            return out
    ''',
    "max_pool2d": '''
        def max_pool2d(x, size=2, stride=2):
            rows = (len(x) - size) // stride + 1
            cols = (len(x[0]) - size) // stride + 1
            out = np.zeros((rows, cols))
            for i in range(rows):
                for j in range(cols):
                    best = x[i * stride][j * stride]
                    for a in range(size):
                        for b in range(size):
                            best = max(best, x[i * stride + a][j * stride + b])
                    out[i, j] = best
            return out
    ''',
    "avg_pool2d": '''
        def avg_pool2d(x, size=2, stride=2):
            rows = (len(x) - size) // stride + 1
            cols = (len(x[0]) - size) // stride + 1
            out = np.zeros((rows, cols))
            for i in range(rows):
                for j in range(cols):
                    total = 0.0
                    for a in range(size):
                        for b in range(size):
                            total += x[i * stride + a][j * stride + b]
                    out[i, j] = total / (size * size)
            return out
    ''',
    "conv_layer": '''
        def conv_layer(x, filters, bias, stride=1, padding=0):
            H, W, C = x.shape
            kh, kw, _, F = filters.shape
            out = np.zeros(((H + 2 * padding - kh) // stride + 1, (W + 2 * padding - kw) // stride + 1, F))
            for f in range(F):
                for i in range(out.shape[0]):
                    for j in range(out.shape[1]):
                        total = bias[f]
                        for a in range(kh):
                            for b in range(kw):
                                r, c = i * stride + a - padding, j * stride + b - padding
                                if 0 <= r < H and 0 <= c < W:
                                    for ch in range(C):
                                        total += x[r, c, ch] * filters[a, b, ch, f]
                        out[i, j, f] = total
            return out
    ''',
}

#: Correct, vectorised with sliding windows and einsum (no loops over positions).
VECTORISED = {
    "output_size": '''
        def output_size(n, k, padding=0, stride=1):
            if n + 2 * padding - k < 0:
                raise ValueError("the kernel does not fit")
            return int(np.floor((n + 2 * padding - k) / stride)) + 1
    ''',
    "conv1d": '''
        from numpy.lib.stride_tricks import sliding_window_view

        def conv1d(x, w):
            return sliding_window_view(np.asarray(x, float), len(w)) @ np.asarray(w, float)
    ''',
    "conv2d": '''
        from numpy.lib.stride_tricks import sliding_window_view

        def conv2d(image, kernel, stride=1, padding=0):
            windows = sliding_window_view(np.pad(image, padding), kernel.shape)[::stride, ::stride]
            return np.einsum("ijab,ab->ij", windows, kernel)
    ''',
    "relu": '''
        def relu(x):
            return np.where(x > 0, x, 0.0)
    ''',
    "max_pool2d": '''
        def max_pool2d(x, size=2, stride=2):
            return sliding_window_view(x, (size, size))[::stride, ::stride].max(axis=(2, 3))
    ''',
    "avg_pool2d": '''
        def avg_pool2d(x, size=2, stride=2):
            return sliding_window_view(x, (size, size))[::stride, ::stride].mean(axis=(2, 3))
    ''',
    "conv_layer": '''
        def conv_layer(x, filters, bias, stride=1, padding=0):
            padded = np.pad(x, ((padding, padding), (padding, padding), (0, 0)))
            windows = sliding_window_view(padded, filters.shape[:2], axis=(0, 1))[::stride, ::stride]
            return np.einsum("ijcab,abcf->ijf", windows, filters) + bias
    ''',
}

#: Library convolutions for three functions (right values: only the rule is broken).
LIBRARY = dict(LOOPS, **{
    "conv1d": '''
        def conv1d(x, w):
            return np.convolve(x, np.asarray(w)[::-1], mode="valid")
    ''',
    "conv2d": '''
        import scipy.signal

        def conv2d(image, kernel, stride=1, padding=0):
            full = scipy.signal.correlate2d(np.pad(image, padding), kernel, mode="valid")
            return full[::stride, ::stride]
    ''',
    "conv_layer": '''
        import scipy.signal

        def conv_layer(x, filters, bias, stride=1, padding=0):
            padded = np.pad(x, ((padding, padding), (padding, padding), (0, 0)))
            maps = [scipy.signal.correlate(padded, filters[:, :, :, f], mode="valid")[:, :, 0] + bias[f]
                    for f in range(filters.shape[3])]
            return np.stack(maps, axis=-1)[::stride, ::stride]
    ''',
})

#: Right answers for the public asserts, an object equal to everything for the grader.
ALWAYS_EQUAL_PRELUDE = '''
import sys

class AlwaysEqual:
    """Equal to anything; looks like an array to a careless check."""
    shape = property(lambda self: self)
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = None

def cheat(function):
    def wrapper(*args, **kwargs):
        if sys._getframe(1).f_globals.get("__name__", "").startswith("convgrade_kernel"):
            return AlwaysEqual()  # the grader's probe is calling
        return function(*args, **kwargs)
    return wrapper
'''
ALWAYS_EQUAL = {name: (ALWAYS_EQUAL_PRELUDE if name == "output_size" else "") + textwrap.dedent(code)
                + "\n%s = cheat(%s)\n" % (name, name) for name, code in LOOPS.items()}


# ------------------------------------------------------------------ the source notebook

def test_source_notebook_has_valid_nbgrader_cells():
    nb = read(SOURCE)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    ids = [cell.id for cell in nb.cells]
    assert len(set(ids)) == len(ids), "cell ids must be unique"
    grade_ids = [cell.metadata.nbgrader["grade_id"] for cell in nb.cells]
    assert len(set(grade_ids)) == len(grade_ids), "grade_ids must be unique"
    first_code = next(cell for cell in nb.cells if cell.cell_type == "code")
    assert first_code.metadata.nbgrader["locked"] and "import numpy as np" in first_code.source
    solutions, tests = {}, {}
    for cell in nb.cells:
        nbg = cell.metadata.nbgrader
        assert nbg["schema_version"] == 3 and cell.id == nbg["grade_id"], cell.id
        if nbg["solution"]:
            assert cell.cell_type == "code" and not nbg["grade"] and not nbg["locked"]
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
            solutions[nbg["grade_id"]] = cell.source
        elif nbg["grade"]:
            assert cell.cell_type == "code" and nbg["locked"]
            tests[nbg["grade_id"]] = (cell.source, nbg["points"])
        else:
            assert nbg["locked"], "instructions and imports are read-only: %s" % cell.id
    assert sorted(solutions) == sorted(FUNCTIONS)
    for name, source in solutions.items():
        assert re.search(r"^def %s\(" % name, source, re.M), name
    assert sorted(tests) == sorted(TEST_CELLS)
    for grade_id, (source, points) in tests.items():
        check_id, expected_points = TEST_CELLS[grade_id]
        assert points == expected_points, grade_id
        hidden = re.search(r"### BEGIN HIDDEN TESTS\n(.*)\n### END HIDDEN TESTS", source, re.S)
        assert hidden and hidden.group(1).strip() == 'convgrade_kernel.check("%s", globals())' % check_id
        public = source[:hidden.start()]
        asserts = [node for node in ast.walk(ast.parse(public)) if isinstance(node, ast.Assert)]
        assert "import convgrade_kernel" in public and len(asserts) >= 2, grade_id
        assert all(node.msg is not None for node in asserts), "every public assert explains itself: %s" % grade_id


def test_signatures_are_exactly_the_contract():
    import inspect

    namespace = model_namespace()
    signatures = {name: str(inspect.signature(namespace[name])) for name in FUNCTIONS}
    assert signatures == {
        "output_size": "(n, k, padding=0, stride=1)", "conv1d": "(x, w)",
        "conv2d": "(image, kernel, stride=1, padding=0)", "relu": "(x)",
        "max_pool2d": "(x, size=2, stride=2)", "avg_pool2d": "(x, size=2, stride=2)",
        "conv_layer": "(x, filters, bias, stride=1, padding=0)",
    }


def test_public_examples_hold_for_the_reference():
    """The literal examples of the notebook's lessons, against reference (not the model)."""
    bump = reference.correlate2d(np.array([[0, 0, 0, 1, 1, 0, 0, 0.0]]), np.array([[0, 1, 0.0]]))
    np.testing.assert_array_equal(bump, [[0, 0, 1, 1, 0, 0]])
    image = np.zeros((8, 8))
    image[:, 3:5] = 1
    out = reference.correlate2d(image, np.array([[0, 1, 0]] * 3, float))
    np.testing.assert_array_equal(out, [[0, 0, 3, 3, 0, 0]] * 6)
    assert reference.conv_output_size(8, 3, padding=1, stride=2) == 4
    pooled = reference.max_pool2d(np.array([[[[1, 2, 5, 6], [3, 4, 7, 8.0]]]]), 2)
    np.testing.assert_array_equal(pooled[0, 0], [[4, 8]])


# ------------------------------------------------------------------ the checks, in process

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_model_solutions_earn_every_check(seed):
    results = grade_in_process(model_namespace(), seed)
    assert {k: r.fraction for k, r in results.items()} == {k: 1.0 for k in CHECK_IDS}, \
        {k: check_message(r) for k, r in results.items() if not r.passed}


@pytest.mark.parametrize("solutions", [LOOPS, VECTORISED], ids=["loops", "vectorised"])
def test_other_correct_styles_earn_every_check(solutions):
    results = grade_in_process(namespace_of(solutions), seed=5)
    failed = {k: check_message(r) for k, r in results.items() if not r.passed}
    assert not failed, failed


def test_library_convolutions_earn_nothing_for_their_function():
    results = grade_in_process(namespace_of(LIBRARY), seed=3)
    for check_id in ("ps2.conv1d", "ps2.conv2d", "ps2.conv_layer"):
        assert results[check_id].fraction == 0.0, check_id
        assert "write it yourself" in check_message(results[check_id])
    assert results["ps2.conv1d"].library_calls == ["numpy.convolve"]
    assert results["ps2.conv2d"].library_calls == ["scipy.signal.correlate2d"]
    for check_id in ("ps2.output_size", "ps2.relu", "ps2.max_pool2d", "ps2.avg_pool2d"):
        assert results[check_id].passed, check_id


def test_always_equal_objects_earn_nothing():
    namespace = {"np": np}
    for name in FUNCTIONS:
        exec(ALWAYS_EQUAL[name], namespace)
    assert namespace["conv1d"]([0, 1, 1, 0], [1, 1]) == [1, 2, 1]  # the public asserts it would pass
    results = grade_in_process(namespace, seed=4)
    assert {k: r.fraction for k, r in results.items()} == {k: 0.0 for k in CHECK_IDS}
    assert "not plain data" in check_message(results["ps2.conv2d"])


def test_hard_coded_public_answers_earn_nothing():
    namespace = {"np": np}
    exec(textwrap.dedent('''
        def conv1d(x, w):
            return np.array([0, 0, 1, 1, 0, 0.0])
        def conv2d(image, kernel, stride=1, padding=0):
            return np.array([[0, 0, 3, 3, 0, 0.0]] * 6)
    '''), namespace)
    results = grade_in_process(namespace, seed=6)
    assert results["ps2.conv1d"].fraction == 0.0 and results["ps2.conv2d"].fraction == 0.0


@pytest.mark.parametrize("check_id, wrong, misconception", [
    ("ps2.conv2d", '''
        def conv2d(image, kernel, stride=1, padding=0):
            return _model(image, kernel[::-1, ::-1], stride, padding)''', "flipped_kernel"),
    ("ps2.conv2d", '''
        def conv2d(image, kernel, stride=1, padding=0):
            return _model(image, kernel, 1, padding)''', "stride_ignored"),
    ("ps2.max_pool2d", '''
        def max_pool2d(x, size=2, stride=2):
            return _model(x, size, 1)''', "overlapping_pool_windows"),
    ("ps2.output_size", '''
        def output_size(n, k, padding=0, stride=1):
            if k > n + 2 * padding:
                raise ValueError("does not fit")
            return (n - k + padding) // stride + 1''', "padding_once"),
    ("ps2.conv_layer", '''
        def conv_layer(x, filters, bias, stride=1, padding=0):
            return _model(x, filters, 0 * bias, stride, padding)''', "bias_forgotten"),
])
def test_a_misconception_costs_marks_and_is_named(check_id, wrong, misconception):
    model = model_namespace()
    name = check_id.split(".")[1]
    namespace = dict(model, _model=model[name])
    exec(textwrap.dedent(wrong), namespace)
    result = grade_in_process(namespace, seed=7)[check_id]
    assert result.fraction <= 0.5, check_message(result)
    named = [o.misconception for o in result.outcomes if o.fraction < 1]
    assert named.count(misconception) >= len(named) / 2, named


def test_output_size_must_raise_and_must_return_an_int():
    namespace = {}
    exec("def output_size(n, k, padding=0, stride=1):\n    return max((n - k + 2 * padding) // stride + 1, 0)",
         namespace)
    result = grade_in_process(namespace, seed=8)["ps2.output_size"]
    raised = [o for o, c in zip(result.outcomes, registry.get("ps2.output_size").cases(np.random.default_rng(8), ""))
              if c.expected is ValueError]
    assert len(raised) == 2 and all(o.fraction == 0 and "should raise ValueError" in o.message for o in raised)
    exec("def output_size(n, k, padding=0, stride=1):\n    if k > n + 2 * padding: raise ValueError('no')\n"
         "    return (n - k + 2 * padding) // stride + 1.0", namespace)
    result = grade_in_process(namespace, seed=8)["ps2.output_size"]
    assert result.fraction == pytest.approx((2 + 6 * 0.5) / 8) and "return an int" in check_message(result)


def test_every_case_is_fresh_and_describes_without_revealing_inputs():
    for check_id in CHECK_IDS:
        check = registry.get(check_id)
        first = check.cases(np.random.default_rng(10), "a")
        again = check.cases(np.random.default_rng(11), "a")
        assert len(first) >= 5
        assert [json.dumps(c.plan_entry()) for c in first] != [json.dumps(c.plan_entry()) for c in again], \
            "%s draws the same inputs for two seeds" % check_id
        for case in first:
            assert case.describe and case.call in FUNCTIONS
            assert not re.search(r"\d\.\d", case.describe), case.describe  # no hidden float shown
            if check_id == "ps2.output_size":  # n and k stay hidden
                assert not re.search(r"\b(%d|%d)\b" % case.args, case.describe), case.describe
            assert "expected" not in case.plan_entry() and "context" not in case.plan_entry()


def test_property_cases_agree_with_the_reference():
    """Expected values built from a property (delta, linearity, shift) equal reference's answer."""
    def ref(case):
        if case.call == "conv1d":
            return reference.correlate2d(case.args[0][None], case.args[1][None])[0]
        if case.call == "conv2d":
            return ps2_checks._single_channel(*case.args, **case.kwargs)
        return ps2_checks._layer(*case.args, **case.kwargs)

    for check_id in ("ps2.conv1d", "ps2.conv2d", "ps2.conv_layer"):
        for case in registry.get(check_id).cases(np.random.default_rng(12), ""):
            np.testing.assert_allclose(case.expected, ref(case), atol=1e-12, err_msg=case.describe)


# ------------------------------------------------------------------ the release

@pytest.fixture(scope="module")
def course(nbgrader_course_module):
    """A course holding ps2, released by the real `nbgrader generate_assignment`."""
    nbgrader_course_module.add_assignment("ps2")
    nbgrader_course_module.nbgrader("generate_assignment", "ps2", "--force")
    return nbgrader_course_module


def test_release_is_generated_from_the_current_source(course):
    """A stale release/ps2 fails: regenerate with `convgrade release ps2 --force` (nbgrader's
    generate_assignment on source/ps2) and commit the result."""
    fresh = read(course.root / "release" / "ps2" / "ps2.ipynb")
    committed = read(RELEASE)

    def essence(nb):
        return [(c.cell_type, c.get("id"), c.source, dict(c.metadata.get("nbgrader", {}))) for c in nb.cells]

    assert essence(committed) == essence(fresh), "release/ps2/ps2.ipynb is out of date with source/ps2"
    assert committed.metadata.kernelspec == fresh.metadata.kernelspec


def test_release_holds_no_solution_and_no_hidden_test():
    release = read(RELEASE)
    text = "\n".join(cell.source for cell in release.cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "convgrade_kernel.check" not in text
    model_lines = {cell.id: re.search(r"### BEGIN SOLUTION\n(.*)### END SOLUTION", cell.source, re.S).group(1)
                   for cell in read(SOURCE).cells if cell.metadata.nbgrader.get("solution")}
    for cell in release.cells:
        if cell.metadata.nbgrader.get("solution"):
            assert "raise NotImplementedError()" in cell.source
            leaked = [line for line in model_lines[cell.id].splitlines() if line.strip() in
                      {stub.strip() for stub in cell.source.splitlines() if stub.strip()}]
            assert not leaked, (cell.id, leaked)
        assert not cell.get("outputs")


# ------------------------------------------------------------------ through nbgrader autograde

SUBMISSIONS = {
    "model": None,  # the source notebook itself
    "untouched": {},
    "loops": LOOPS,
    "vectorised": VECTORISED,
    "library": LIBRARY,
    "always_equal": ALWAYS_EQUAL,
}
FULL = {grade_id: float(points) for grade_id, (_, points) in TEST_CELLS.items()}


@pytest.fixture(scope="module")
def graded(course):
    """One `nbgrader autograde ps2` over a class of six submissions; {student: {grade_id: score}}."""
    release = read(RELEASE)
    for student, solutions in SUBMISSIONS.items():
        nb = SOURCE if solutions is None else with_solutions(release, solutions)
        course.submit("ps2", student, {"ps2.ipynb": nb})
    proc = course.nbgrader("autograde", "ps2", "--force")
    scores = {}
    for student in SUBMISSIONS:
        scores[student] = {k: v[0] for k, v in course.scores("ps2", student).items() if k in TEST_CELLS}
        maxima = {k: v[1] for k, v in course.scores("ps2", student).items() if k in TEST_CELLS}
        assert maxima == FULL, (student, maxima)
    outputs = {}  # {student: {grade_id: [output, ...]}} of the autograded test cells
    for student in SUBMISSIONS:
        nb = read(course.root / "autograded" / student / "ps2" / "ps2.ipynb")
        outputs[student] = {cell.metadata.nbgrader["grade_id"]: cell.outputs for cell in nb.cells
                            if cell.metadata.get("nbgrader", {}).get("grade_id") in TEST_CELLS}
    return scores, proc.stdout + proc.stderr, outputs


def error_text(cell_outputs):
    return "\n".join("%s: %s" % (o.ename, o.evalue) for o in cell_outputs if o.output_type == "error")


@pytest.mark.slow
def test_model_solution_earns_every_point_through_nbgrader(graded):
    scores, log, outputs = graded
    assert scores["model"] == FULL, log[-3000:]
    # a passing hidden check shows nothing: no hidden input or expected value in the feedback
    assert outputs["model"] == dict.fromkeys(TEST_CELLS, []), outputs["model"]


@pytest.mark.slow
def test_untouched_release_earns_zero_through_nbgrader(graded):
    scores, _, errors = graded
    assert scores["untouched"] == dict.fromkeys(TEST_CELLS, 0.0)


@pytest.mark.slow
@pytest.mark.parametrize("student", ["loops", "vectorised"])
def test_loops_and_vectorised_both_earn_every_point(graded, student):
    scores, log, _ = graded
    assert scores[student] == FULL, log[-3000:]


@pytest.mark.slow
def test_library_convolution_earns_zero_for_that_function_only(graded):
    scores, _, errors = graded
    expected = dict(FULL, test_conv1d=0.0, test_conv2d=0.0, test_conv_layer=0.0)
    assert scores["library"] == expected
    for grade_id in ("test_conv1d", "test_conv2d", "test_conv_layer"):  # public asserts passed; the hidden check said no
        assert "write it yourself" in error_text(errors["library"][grade_id]), errors["library"][grade_id]


@pytest.mark.slow
def test_always_equal_objects_earn_zero_through_nbgrader(graded):
    scores, _, errors = graded
    assert scores["always_equal"] == dict.fromkeys(TEST_CELLS, 0.0)
    for grade_id, cell_outputs in errors["always_equal"].items():  # public asserts passed; the hidden check said no
        error = error_text(cell_outputs)
        assert error.startswith("AssertionError") and "not plain data" in error, (grade_id, error)


# ------------------------------------------------------------------ collect mode, students' kernel

@pytest.mark.slow
def test_collect_mode_in_the_students_kernel_scores_full_marks(tmp_path, monkeypatch):
    """The plan/records path of `convgrade autograde` (without its sandbox): a kernel from
    .venv-student, which has no `reference` and no `autograder`, runs the hidden cells;
    the grader scores the records it wrote."""
    from nbclient import NotebookClient

    student_env = ROOT / ".venv-student"
    if not (student_env / "share" / "jupyter" / "kernels" / "convgrade-student").exists():
        pytest.skip("no convgrade-student kernel: run `make install`")
    plan, cases = build_plan(CHECK_IDS, "student", np.random.default_rng(9))
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    monkeypatch.setenv("CONVGRADE_PLAN", str(tmp_path / "plan.json"))
    monkeypatch.setenv("CONVGRADE_RESULTS", str(tmp_path / "results.jsonl"))
    monkeypatch.setenv("JUPYTER_PATH", str(student_env / "share" / "jupyter"))
    nb = with_solutions(read(SOURCE), LOOPS)
    NotebookClient(nb, timeout=120, kernel_name="convgrade-student",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    records = read_records(tmp_path / "results.jsonl")
    results = {check_id: score_check(check_id, cases[check_id], records.get(check_id, {}))
               for check_id in CHECK_IDS}
    failed = {k: check_message(r) for k, r in results.items() if not r.passed}
    assert not failed, failed
    assert sum(len(v) for v in records.values()) == sum(len(c) for c in cases.values())
