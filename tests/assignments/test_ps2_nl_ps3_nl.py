"""ps2_nl and ps3_nl, the Dutch ps2 and ps3: twins of the English notebooks, graded alike, Dutch throughout.

Fast tests hold the Dutch sources to the English ones (the same cells, grade ids, points, check
calls and code, strings and comments aside), check that every check has a Dutch title and every
sentence its checks can say a Dutch version, and grade planted mistakes in this process with the
English and the Dutch checks on the same random inputs: the same marks, the same misconception,
no English sentence in the Dutch feedback. The slow tests grade each Dutch notebook twice in
a real sandboxed kernel (``grade_submission``): the model solution earns every point, and a
notebook with planted mistakes earns what the English checks give the same answers, with
feedback in Dutch from the score line to the likely misconception.
"""
from __future__ import annotations

import ast
import inspect
import json
import re
import shutil
import textwrap
from collections import Counter
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder.judging import diagnosis, registry
from autograder.judging.checks import ps2, ps2_nl, ps3, ps3_nl
from autograder.language import check_message, en, nl
from autograder.pipeline.plan import build_plan
from autograder.pipeline.score import score_check
from convgrade_kernel import probe
from test_ps2 import with_solutions  # tests/assignments is on sys.path under pytest (no __init__.py)
from test_ps3_ps4 import run_cells

ROOT = Path(__file__).resolve().parents[2]
#: Dutch assignment -> its English original
TWINS = {"ps2_nl": "ps2", "ps3_nl": "ps3"}
CHECK_MODULES = {"ps2_nl": (ps2, ps2_nl), "ps3_nl": (ps3, ps3_nl)}
#: Sentences of the grading pipeline that any ps2/ps3 check's feedback can show.
PIPELINE_PHRASES = ("score", "headline", "same_mistake", "more_cases", "more_cases_plural", "likely_misconception",
                    "no_response", "not_submitted", "test_cell_error", "case_call", "case_call_unnamed",
                    "case_variable", "labelled", "never_reached", "raised_as_it_should", "raised", "should_raise",
                    "tripwire_removed", "library_called", "library_in_source", "unreadable_value", "results_forged",
                    "figure_expected", "figure_yours", "figure_title", "figure_title_channel", "figure_cells_wrong",
                    "figure_shapes_differ", "figure_alt")
#: Words a Dutch sentence may share with the English one: argument names and code.
CODE_WORDS = {"stride", "padding", "size", "ValueError", "apply_filter", "image", "kernel", "filter_image",
              "rgb_filter", "relu_pool", "feature_map", "answer_map_shape", "answer_pixel_value", "my_diagonal_filter"}


def source_path(name):
    return ROOT / "source" / name / ("%s.ipynb" % name)


def read(path):
    return nbformat.read(path, as_version=4)


def points(name):
    """{grade_id: points} of the autograded test cells of ``source/NAME``."""
    return {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["points"] for c in read(source_path(name)).cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}


def check_calls(source):
    return re.findall(r'convgrade_kernel\.check\("([^"]+)"', source)


def code_shape(source):
    """The cell's code with every string emptied (comments and docstrings are gone with the parse):
    what must not differ between a notebook and its translation."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
    return ast.dump(tree)


# ------------------------------------------------------------------ the notebooks are twins

@pytest.mark.parametrize("dutch", sorted(TWINS))
def test_the_dutch_notebook_has_the_cells_points_checks_and_code_of_the_english_one(dutch):
    english_nb, dutch_nb = read(source_path(TWINS[dutch])), read(source_path(dutch))
    assert [(c.cell_type, c.id, c.metadata.get("nbgrader")) for c in english_nb.cells] == \
        [(c.cell_type, c.id, c.metadata.get("nbgrader")) for c in dutch_nb.cells]
    assert dutch_nb.metadata.kernelspec == english_nb.metadata.kernelspec
    for english, translated in zip(english_nb.cells, dutch_nb.cells):
        assert english.source != translated.source, "an untranslated cell: %s" % english.id
        if english.cell_type != "code":
            continue
        assert [i.replace(TWINS[dutch] + ".", dutch + ".", 1) for i in check_calls(english.source)] == \
            check_calls(translated.source), english.id
        if "### BEGIN HIDDEN TESTS" in english.source:
            assert english.source.split("### BEGIN HIDDEN TESTS")[1].replace('"%s.' % TWINS[dutch], '"%s.' % dutch) \
                == translated.source.split("### BEGIN HIDDEN TESTS")[1], english.id
        assert code_shape(english.source) == code_shape(translated.source), (
            "%s: the code differs, not only its strings and comments" % english.id)


@pytest.mark.parametrize("dutch", sorted(TWINS))
def test_the_dutch_notebook_speaks_dutch_in_the_course_words(dutch):
    nb = read(source_path(dutch))
    text = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for term in ("kenmerkkaart", "kern", "filter", "opvulling", "stapgrootte"):
        assert term in text, term
    assert "leerkracht" not in text
    english = " ".join(c.source for c in read(source_path(TWINS[dutch])).cells if c.cell_type == "markdown")
    for sentence in re.split(r"(?<=[.!?])\s+", english):  # no English sentence left in the Dutch markdown
        words = re.findall(r"[A-Za-z]{4,}", sentence)
        if len(words) >= 5:
            assert " ".join(sentence.split()) not in " ".join(text.split()), sentence


def test_the_dutch_releases_are_current(assert_release_current):
    """A stale release fails: regenerate with `convgrade release ps2_nl --force` (and ps3_nl)."""
    assert_release_current(*sorted(TWINS))


@pytest.mark.parametrize("dutch", sorted(TWINS))
def test_the_dutch_release_hides_what_the_english_one_hides(dutch):
    english, translated = (read(ROOT / "release" / name / ("%s.ipynb" % name)) for name in (TWINS[dutch], dutch))

    def grading(nb):
        return [(c.id, {k: v for k, v in c.metadata.nbgrader.items() if k != "checksum"}) for c in nb.cells]

    assert grading(english) == grading(translated)
    text = "\n".join(c.source for c in translated.cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "convgrade_kernel.check" not in text
    for e, d in zip(english.cells, translated.cells):
        assert ("raise NotImplementedError()" in e.source) == ("raise NotImplementedError()" in d.source), d.id
        assert (e.source == "YOUR ANSWER HERE") == (d.source == "YOUR ANSWER HERE"), d.id
        assert not d.get("outputs"), d.id


# ------------------------------------------------------------------ every sentence has its Dutch version

def _string_literals(*objects):
    strings = set()
    for obj in objects:
        for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(obj)))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                strings.add(node.value)
    return strings


#: Every string the ps2/ps3 checks and the diagnoses they call contain: the keys they can say.
USED = _string_literals(ps2, ps3, diagnosis.conv1d_mutants, diagnosis.conv2d_mutants, diagnosis.pool_mutants,
                        diagnosis.output_size_mutants)


def _has_words(text):
    return bool(set(re.findall(r"[A-Za-z_]{4,}", text)) - CODE_WORDS)


@pytest.mark.parametrize("table", ["PHRASES", "MISCONCEPTIONS", "NOTES", "LABELS"])
def test_every_sentence_the_ps2_and_ps3_checks_can_say_has_a_dutch_version(table):
    english, dutch = getattr(en, table), getattr(nl, table)
    keys = {k for k in USED if k in english} | (set(PIPELINE_PHRASES) if table == "PHRASES" else set())
    assert len(keys) > {"PHRASES": 60, "MISCONCEPTIONS": 12, "NOTES": 5, "LABELS": 1}[table]
    missing = sorted(k for k in keys if k not in dutch)
    assert not missing, missing
    untranslated = sorted(k for k in keys if dutch[k] == english[k] and _has_words(english[k]))
    assert not untranslated, untranslated


@pytest.mark.parametrize("dutch", sorted(TWINS))
def test_every_check_has_a_dutch_title_and_dutch_case_descriptions(dutch):
    english_module, dutch_module = CHECK_MODULES[dutch]
    assert [c.id for c in dutch_module.CHECKS] == [c.id.replace(TWINS[dutch], dutch, 1) for c in english_module.CHECKS]
    called = [i for c in read(source_path(dutch)).cells if c.cell_type == "code" for i in check_calls(c.source)]
    assert sorted(c.id for c in dutch_module.CHECKS) == sorted(called)
    for english_class, dutch_class in zip(english_module.CHECKS, dutch_module.CHECKS):
        english, translated = registry.get(english_class.id), registry.get(dutch_class.id)
        assert translated.lang == "nl" and english.lang == "en"
        assert translated.id in nl.TITLES and translated.title == nl.TITLES[translated.id]
        assert translated.forbid_library == english.forbid_library
        english_cases = english.cases(np.random.default_rng(5), "student")
        dutch_cases = translated.cases(np.random.default_rng(5), "student")
        assert [json.dumps(c.plan_entry()) for c in english_cases] == [json.dumps(c.plan_entry()) for c in dutch_cases]
        for e, d in zip(english_cases, dutch_cases):
            assert bool(e.describe) == bool(d.describe)
            if e.describe:
                assert d.describe != e.describe and "random" not in d.describe, d.describe


def test_ps3_nl_keeps_the_libraries_ps3_needs_in_its_sandbox():
    assert registry.libraries_needed(["ps3_nl.rgb_filter"]) == registry.libraries_needed(["ps3.rgb_filter"]) \
        == ["scipy.ndimage"]


# ------------------------------------------------------------------ graded alike, worded in Dutch

def english_sentences(keys_of_tables):
    """The fixed parts (three words or more) of the English sentences named ``{table: keys}``:
    none may appear in Dutch feedback."""
    parts = set()
    for table, keys in keys_of_tables.items():
        for key in keys:
            for part in re.split(r"%[-#0-9.]*[sdrgfi%]", getattr(en, table)[key]):
                part = part.strip(" .,:;()")
                if len(part.split()) >= 3 and _has_words(part):
                    parts.add(part)
    return parts


ENGLISH = english_sentences({
    "PHRASES": [k for k in set(USED) | set(PIPELINE_PHRASES) if k in en.PHRASES],
    "MISCONCEPTIONS": [k for k in USED if k in en.MISCONCEPTIONS],
    "NOTES": [k for k in USED if k in en.NOTES],
}) | {"cases right", "of the marks", "Likely misconception", "Right shape", "entries are wrong",
      "Expected an array", "Your values are", "the same mistake as above"}


def assert_dutch(text):
    leaked = sorted(s for s in ENGLISH if s in text)
    assert not leaked, (leaked, text[:2000])


#: Per Dutch notebook: solution cells with planted mistakes (grade_id -> source), and the
#: misconception each graded item must name.
PLANTED = {
    "ps2_nl": ({
        "conv2d": '''
            def conv2d(image, kernel, stride=1, padding=0):
                """De kern omgedraaid: de convolutie uit de signaalverwerking."""
                image = np.asarray(image, dtype=float)
                kernel = np.asarray(kernel, dtype=float)[::-1, ::-1]
                padded = np.pad(image, padding)
                kh, kw = kernel.shape
                out = np.zeros((output_size(image.shape[0], kh, padding, stride),
                                output_size(image.shape[1], kw, padding, stride)))
                for i in range(out.shape[0]):
                    for j in range(out.shape[1]):
                        out[i, j] = np.sum(padded[i * stride:i * stride + kh, j * stride:j * stride + kw] * kernel)
                return out''',
        "max_pool2d": '''
            def max_pool2d(x, size=2, stride=2):
                x = np.asarray(x, dtype=float)
                rows, cols = output_size(x.shape[0], size, 0, stride), output_size(x.shape[1], size, 0, stride)
                out = np.zeros((rows, cols))
                for i in range(rows):
                    for j in range(cols):
                        out[i, j] = np.mean(x[i * stride:i * stride + size, j * stride:j * stride + size])
                return out''',
        "conv_layer": '''
            def conv_layer(x, filters, bias, stride=1, padding=0):
                x = np.asarray(x, dtype=float)
                padded = np.pad(x, ((padding, padding), (padding, padding), (0, 0)))
                kh, kw, _, n_filters = np.shape(filters)
                out = np.zeros((output_size(x.shape[0], kh, padding, stride),
                                output_size(x.shape[1], kw, padding, stride), n_filters))
                for i in range(out.shape[0]):
                    for j in range(out.shape[1]):
                        window = padded[i * stride:i * stride + kh, j * stride:j * stride + kw, :]
                        for f in range(n_filters):
                            out[i, j, f] = np.sum(window * filters[:, :, :, f])  # de bias vergeten
                return out''',
    }, {"test_conv2d": "flipped_kernel", "test_max_pool2d": "average_instead_of_max",
        "test_conv_layer": "bias_forgotten"}),
    "ps3_nl": ({
        "rgb_filter": '''
            def rgb_filter(image, kernel):
                image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
                return apply_filter(image[:, :, 0], kernel[:, :, 0])  # alleen het eerste kanaal''',
        "relu_pool": '''
            def relu_pool(feature_map, size=2):
                feature_map = np.asarray(feature_map, dtype=float)  # de ReLU vergeten
                rows, cols = feature_map.shape[0] // size, feature_map.shape[1] // size
                return feature_map[:rows * size, :cols * size].reshape(rows, size, cols, size).max(axis=(1, 3))''',
        "diagonal_filter": '''
            my_diagonal_filter = np.ones((3, 3))  # licht op bij elke lijn, niet alleen bij de diagonaal''',
    }, {"test_rgb_filter": "channels_not_summed", "test_relu_pool": "relu_forgotten",
        "test_diagonal_filter": None}),
}


def planted_notebook(dutch):
    """The Dutch source notebook with the mistakes of :data:`PLANTED` in its solution cells."""
    return with_solutions(read(source_path(dutch)), PLANTED[dutch][0])


def decoded(records):
    """``records`` as they arrive from a kernel's results file (JSON, integer case keys)."""
    return {int(k): v for k, v in json.loads(json.dumps(records, allow_nan=True)).items()}


def likely_misconception(result):
    """The misconception the feedback names for ``result``: the most frequent among its wrong cases."""
    found = Counter(o.misconception for o in result.outcomes if o.misconception and o.fraction < 1)
    return found.most_common(1)[0][0] if found else None


def english_scores(dutch, nb, seed):
    """{grade_id: score} that the *English* checks give the code of ``nb`` on the random inputs
    that grading ``dutch`` with ``seed`` draws, judged here; and {grade_id: CheckResult}."""
    namespace = run_cells(nb)
    ids = dict.fromkeys(i for c in nb.cells if c.cell_type == "code" for i in check_calls(c.source))
    english_ids = [i.replace(dutch + ".", TWINS[dutch] + ".", 1) for i in ids]
    _, cases = build_plan(english_ids, "student", np.random.default_rng(seed))  # the order plan_notebook draws in
    scores, results = {}, {}
    for cell in nb.cells:
        (check_id,) = check_calls(cell.source) or (None,)
        if check_id is None:
            continue
        english_id = check_id.replace(dutch + ".", TWINS[dutch] + ".", 1)
        check = registry.get(english_id)
        records = {i: probe._run_case(english_id, i, json.loads(json.dumps(c.plan_entry())), namespace,
                                      check.library_functions) for i, c in enumerate(cases[english_id])}
        result = score_check(english_id, cases[english_id], decoded(records))
        grade_id = cell.metadata.nbgrader["grade_id"]
        scores[grade_id], results[grade_id] = cell.metadata.nbgrader["points"] * result.fraction, result
    return scores, results


@pytest.mark.parametrize("dutch", sorted(TWINS))
def test_planted_mistakes_cost_the_same_marks_in_both_languages_and_are_told_in_dutch(dutch):
    nb = planted_notebook(dutch)
    namespace = run_cells(nb)
    _, expected_misconceptions = PLANTED[dutch]
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id not in expected_misconceptions:
            continue
        (dutch_id,) = check_calls(cell.source)
        english_id = dutch_id.replace(dutch + ".", TWINS[dutch] + ".", 1)
        results = {}
        for check_id in (english_id, dutch_id):
            check = registry.get(check_id)
            cases = check.cases(np.random.default_rng(21), "student")
            records = {i: probe._run_case(check_id, i, c.plan_entry(), namespace, check.library_functions)
                       for i, c in enumerate(cases)}
            results[check_id] = score_check(check_id, cases, decoded(records))
        english, translated = results[english_id], results[dutch_id]
        assert translated.fraction == english.fraction < 1.0, (grade_id, english.fraction, translated.fraction)
        assert [o.misconception for o in translated.outcomes] == [o.misconception for o in english.outcomes]
        misconception = expected_misconceptions[grade_id]
        if misconception:
            assert misconception in [o.misconception for o in translated.outcomes], grade_id
        message = check_message(translated)
        assert message.startswith(nl.TITLES[dutch_id] + ": ") and "gevallen goed" in message, message
        assert_dutch(message)


# ------------------------------------------------------------------ graded in a real sandboxed kernel

SEED = 20261206


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    from autograder.course import Course

    root = tmp_path_factory.mktemp("dutch") / "course"
    for dutch in TWINS:
        for part in ("source", "release"):
            shutil.copytree(ROOT / part / dutch, root / part / dutch)
    return Course(root)


def grade_in_kernel(course, dutch, student, nb):
    from autograder.pipeline.grade import grade_submission

    folder = course.submission_dir(student, dutch)
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / ("%s.ipynb" % dutch))
    result = grade_submission(course, dutch, student, rng_seed=SEED)
    assert result.status == "graded", result.detail
    shown = nbformat.reads(result.notebooks[dutch], as_version=4)
    outputs = {c.metadata["nbgrader"]["grade_id"]: "".join(o.get("text", "") for o in c.outputs)
               for c in shown.cells if c.metadata.get("nbgrader", {}).get("grade_id") in points(dutch)}
    return result, outputs


@pytest.mark.slow
@pytest.mark.parametrize("dutch", sorted(TWINS))
def test_the_model_solution_earns_every_point_in_a_sandboxed_kernel(course, dutch):
    result, outputs = grade_in_kernel(course, dutch, "model", read(source_path(dutch)))
    scores = {i.grade_id: i.score for i in result.items if i.grade_id in points(dutch)}
    assert scores == {k: float(v) for k, v in points(dutch).items()}, [i.message for i in result.items]
    for grade_id, text in outputs.items():
        assert text.startswith("Score: %g van %g" % ((points(dutch)[grade_id],) * 2)), text
        assert_dutch(text)


@pytest.mark.slow
@pytest.mark.parametrize("dutch", sorted(TWINS))
def test_planted_mistakes_in_a_sandboxed_kernel_earn_what_the_english_checks_give_with_dutch_feedback(course, dutch):
    nb = planted_notebook(dutch)
    result, outputs = grade_in_kernel(course, dutch, "planted", nb)
    scores = {i.grade_id: i.score for i in result.items if i.grade_id in points(dutch)}
    expected, english = english_scores(dutch, nb, SEED)
    assert scores == pytest.approx(expected), (scores, expected)
    _, misconceptions = PLANTED[dutch]
    items = {i.grade_id: i for i in result.items}
    for grade_id, misconception in misconceptions.items():
        assert scores[grade_id] < points(dutch)[grade_id], grade_id
        assert items[grade_id].misconception == misconception == likely_misconception(english[grade_id]), grade_id
        text = outputs[grade_id]
        assert text.startswith("Score: ") and " van %g" % points(dutch)[grade_id] in text, text
        assert nl.TITLES[items[grade_id].check_ids[0]] in text and "gevallen goed" in text, text
        if misconception:
            assert "Waarschijnlijk misverstand" in text and nl.MISCONCEPTIONS[misconception] in text, text
        assert_dutch(text)
