"""A simulated class: what 30 students might hand in for ps1 (or its Dutch twin ps1_nl), ps2 and ps5.

Every submission starts from the course's real *release* notebook (what a student
downloads) and changes only what a student changes: the answer cells. A persona
says, per assignment, what goes into each answer cell:

- the teacher's model solution (the source cell without its ``BEGIN/END SOLUTION``
  lines), for honest work;
- the release stub left as it is (``raise NotImplementedError()``), for work not done;
- code of our own: a solution with one misconception (the kernel flipped, the padding
  forgotten, the stride ignored, ...), a correct solution written differently
  (vectorised), or an attempt to cheat (a library convolution, an object whose
  ``__eq__`` is always true, ``import reference``, monkeypatching NumPy, another
  student's ps1 numbers);

or that the hand-in is broken: a notebook that is not JSON, a folder without the
notebook, nothing at all, a cell that never ends, a kernel that kills itself.

Each persona also states what a correct grader must make of it (:class:`Expect`):
the submission's status, the score band (full marks, zero, something in between)
and a misconception the diagnosis should name. ``convgrade demo`` and its test
compare the gradebook against these expectations; they are written from the
assignment's text, never computed by the grader under test. Dutch-speaking students
hand in ``ps1_nl`` instead of ``ps1`` (:func:`_dutch`) and must get their feedback in
Dutch; six students hand in ``ps5`` (the model, two misconceptions, a blank notebook, a
copy of a classmate's numbers, half the work).

The buggy solutions are student code (strings run in a student's kernel), not a
second implementation of anything the grader uses.
"""
from __future__ import annotations

import contextlib
import copy
import io
import json
import re
import sys
import textwrap
from dataclasses import dataclass, field, replace
from pathlib import Path

import nbformat
import numpy as np


#: Assignments the simulated class hands in (each needs ``source/NAME`` in the course).
ASSIGNMENTS = ("ps1", "ps1_nl", "ps2", "ps5")
MODEL, BLANK = "<model solution>", "<release stub>"
#: What a hand-in can be, besides a notebook with answers.
HANDINS = ("notebook", "invalid_json", "no_notebook", "nothing")
SCORE_BANDS = ("full", "zero", "partial", "low")


@dataclass(frozen=True)
class Expect:
    """What grading must make of one hand-in.

    status : graded / timeout / crashed / corrupt / missing
    score : ``full`` (every mark, written answers included once the teacher marked
        them), ``zero``, ``partial`` (more than 0, less than full) or ``low`` (at most
        a quarter of the marks)
    misconception : a key of ``autograder.judging.diagnosis.MISCONCEPTIONS`` the items of this
        submission must name, or None
    language : the language (``"en"``, ``"nl"``) its feedback page must be in, or None
        (not checked)
    """

    status: str = "graded"
    score: str = "full"
    misconception: str | None = None
    language: str | None = None

    def __post_init__(self):
        if self.score not in SCORE_BANDS:
            raise ValueError("Expect: score must be one of %s, got %r" % (", ".join(SCORE_BANDS), self.score))

    def met_by(self, status, score, max_score, misconceptions=(), language=None):
        """True when a gradebook row (``status``, ``score`` of ``max_score``, the
        misconceptions named in its items, the ``language`` of its feedback page) is
        what this expectation says."""
        if status != self.status:
            return False
        if self.language and language != self.language:
            return False
        if self.misconception and self.misconception not in set(misconceptions):
            return False
        tol = 1e-6
        return {"full": abs(score - max_score) <= tol, "zero": abs(score) <= tol,
                "partial": tol < score < max_score - tol,
                "low": score <= 0.25 * max_score + tol}[self.score]

    def describe(self):
        text = "%s, %s" % (self.status, {"full": "full marks", "zero": "0 marks", "partial": "some marks",
                                         "low": "at most 25%"}[self.score])
        text += ", %s" % self.misconception if self.misconception else ""
        return text + (", feedback in %s" % self.language if self.language else "")


@dataclass(frozen=True)
class Work:
    """What one persona hands in for one assignment.

    base : MODEL or BLANK, for every answer cell not in ``answers``
    answers : ``{grade_id: MODEL | BLANK | code}``
    handin : one of :data:`HANDINS`
    copy_from : a student id: the by-hand answers become that student's numbers (ps1, ps5)
    written : whether the written (markdown) answers are filled in
    """

    expect: Expect = Expect()
    base: str = MODEL
    answers: dict = field(default_factory=dict)
    handin: str = "notebook"
    copy_from: str | None = None
    written: bool = True


@dataclass(frozen=True)
class Persona:
    """One simulated student: who, what kind of work, and each assignment's hand-in."""

    id: str
    first_name: str
    last_name: str
    kind: str  # correct / partial / misconception / cheating / broken
    summary: str
    work: dict  # {assignment: Work}

    @property
    def email(self):
        return "%s@school.example" % self.id

    def expect(self, assignment):
        return self.work.get(assignment, Work(expect=Expect("missing", "zero"), handin="nothing")).expect


# --------------------------------------------------------------------------------------
# Student code for ps2. Each template is what a student who holds one misconception
# would write; the defaults give a correct loop solution.

def _output_size(expr="(n - k + 2 * padding) // stride + 1"):
    return textwrap.dedent('''\
        def output_size(n, k, padding=0, stride=1):
            if n + 2 * padding < k:
                raise ValueError("the kernel (%d) does not fit in the padded input (%d)" % (k, n + 2 * padding))
            return {expr}
        ''').format(expr=expr)


def _conv1d(flip=False):
    return textwrap.dedent('''\
        def conv1d(x, w):
            x = np.asarray(x, dtype=float)
            w = np.asarray(w, dtype=float){flip}
            out = np.zeros(len(x) - len(w) + 1)
            for i in range(len(out)):
                out[i] = np.sum(x[i:i + len(w)] * w)
            return out
        ''').format(flip="[::-1]" if flip else "")


def _conv2d(flip=False, pad="padding", step="stride", result="out"):
    return textwrap.dedent('''\
        def conv2d(image, kernel, stride=1, padding=0):
            image = np.asarray(image, dtype=float)
            kernel = np.asarray(kernel, dtype=float){flip}
            padded = np.pad(image, {pad})
            kh, kw = kernel.shape
            step = {step}
            out = np.zeros(((padded.shape[0] - kh) // step + 1, (padded.shape[1] - kw) // step + 1))
            for i in range(out.shape[0]):
                for j in range(out.shape[1]):
                    out[i, j] = np.sum(padded[i * step:i * step + kh, j * step:j * step + kw] * kernel)
            return {result}
        ''').format(flip="[::-1, ::-1]" if flip else "", pad=pad, step=step, result=result)


def _relu(forgotten=False):
    body = "np.asarray(x, dtype=float)" if forgotten else "np.maximum(np.asarray(x, dtype=float), 0.0)"
    return "def relu(x):\n    return %s\n" % body


def _pool(name, reduce, step="stride"):
    return textwrap.dedent('''\
        def {name}(x, size=2, stride=2):
            x = np.asarray(x, dtype=float)
            step = {step}
            out = np.zeros(((x.shape[0] - size) // step + 1, (x.shape[1] - size) // step + 1))
            for i in range(out.shape[0]):
                for j in range(out.shape[1]):
                    out[i, j] = np.{reduce}(x[i * step:i * step + size, j * step:j * step + size])
            return out
        ''').format(name=name, reduce=reduce, step=step)


def _conv_layer(flip=False, pad="((padding, padding), (padding, padding), (0, 0))", step="stride",
                bias=" + bias[f]", result="out"):
    return textwrap.dedent('''\
        def conv_layer(x, filters, bias, stride=1, padding=0):
            x = np.asarray(x, dtype=float)
            filters = np.asarray(filters, dtype=float){flip}
            padded = np.pad(x, {pad})
            kh, kw, _, n_filters = filters.shape
            step = {step}
            rows = (padded.shape[0] - kh) // step + 1
            cols = (padded.shape[1] - kw) // step + 1
            out = np.zeros((rows, cols, n_filters))
            for i in range(rows):
                for j in range(cols):
                    window = padded[i * step:i * step + kh, j * step:j * step + kw, :]
                    for f in range(n_filters):
                        out[i, j, f] = np.sum(window * filters[:, :, :, f]){bias}
            return {result}
        ''').format(flip="[::-1, ::-1]" if flip else "", pad=pad, step=step, bias=bias, result=result)


PS2_VECTORISED = {
    "output_size": _output_size("(n + 2 * padding - k) // stride + 1"),
    "conv1d": textwrap.dedent('''\
        from numpy.lib.stride_tricks import sliding_window_view

        def conv1d(x, w):
            return sliding_window_view(np.asarray(x, float), len(w)) @ np.asarray(w, float)
        '''),
    "conv2d": textwrap.dedent('''\
        def conv2d(image, kernel, stride=1, padding=0):
            padded = np.pad(np.asarray(image, float), padding)
            windows = sliding_window_view(padded, np.shape(kernel))[::stride, ::stride]
            return np.einsum("ijab,ab->ij", windows, np.asarray(kernel, float))
        '''),
    "relu": "relu = lambda x: np.where(np.asarray(x) > 0, np.asarray(x, float), 0.0)\n",
    "max_pool2d": textwrap.dedent('''\
        def max_pool2d(x, size=2, stride=2):
            return sliding_window_view(np.asarray(x, float), (size, size))[::stride, ::stride].max(axis=(2, 3))
        '''),
    "avg_pool2d": textwrap.dedent('''\
        def avg_pool2d(x, size=2, stride=2):
            return sliding_window_view(np.asarray(x, float), (size, size))[::stride, ::stride].mean(axis=(2, 3))
        '''),
    "conv_layer": textwrap.dedent('''\
        def conv_layer(x, filters, bias, stride=1, padding=0):
            x = np.pad(np.asarray(x, float), ((padding, padding), (padding, padding), (0, 0)))
            kh, kw, c, f = np.shape(filters)
            windows = sliding_window_view(x, (kh, kw), axis=(0, 1))[::stride, ::stride]  # (H', W', C, kh, kw)
            return np.einsum("ijcab,abcf->ijf", windows, np.asarray(filters, float)) + np.asarray(bias, float)
        '''),
}

#: A correct solution that also talks on stderr: warnings must not cost marks.
PS2_NOISY_CONV2D = ("import sys, warnings\n"
                    "print('note: conv2d uses plain loops and may be slow', file=sys.stderr)\n"
                    + _conv2d().replace("    image = np.asarray",
                                        "    warnings.warn('conv2d: slow loops ahead', RuntimeWarning)\n"
                                        "    image = np.asarray", 1))

PS2_LIBRARY = {
    "conv1d": "def conv1d(x, w):\n    return np.correlate(np.asarray(x, float), np.asarray(w, float), mode='valid')\n",
    "conv2d": textwrap.dedent('''\
        from scipy.signal import correlate2d

        def conv2d(image, kernel, stride=1, padding=0):
            padded = np.pad(np.asarray(image, float), padding)
            return correlate2d(padded, kernel, mode="valid")[::stride, ::stride]
        '''),
    "conv_layer": textwrap.dedent('''\
        import scipy.signal

        def conv_layer(x, filters, bias, stride=1, padding=0):
            x = np.pad(np.asarray(x, float), ((padding, padding), (padding, padding), (0, 0)))
            maps = [sum(scipy.signal.correlate2d(x[:, :, c], filters[:, :, c, f], mode="valid")
                        for c in range(x.shape[2])) + bias[f] for f in range(filters.shape[3])]
            return np.stack(maps, axis=-1)[::stride, ::stride]
        '''),
}

ALWAYS_EQUAL = textwrap.dedent('''\
    class Anything:
        """Equal to every answer, or so it hopes."""
        def __eq__(self, other):
            return True
        def __ne__(self, other):
            return False
        __hash__ = object.__hash__
        def __array__(self, *args, **kwargs):
            raise TypeError("no")
    ''')
PS2_FUNCTIONS = ("output_size", "conv1d", "conv2d", "relu", "max_pool2d", "avg_pool2d", "conv_layer")
PS2_SIGNATURES = {"output_size": "n, k, padding=0, stride=1", "conv1d": "x, w",
                  "conv2d": "image, kernel, stride=1, padding=0", "relu": "x",
                  "max_pool2d": "x, size=2, stride=2", "avg_pool2d": "x, size=2, stride=2",
                  "conv_layer": "x, filters, bias, stride=1, padding=0"}


def _every_ps2(body, first_extra=""):
    """Answers for every ps2 function with the same ``body``; ``first_extra`` goes
    before the first one (a class or an import the others use)."""
    answers = {}
    for index, name in enumerate(PS2_FUNCTIONS):
        code = "def %s(%s):\n%s" % (name, PS2_SIGNATURES[name], textwrap.indent(body, "    "))
        answers[name] = (first_extra + "\n" + code) if index == 0 and first_extra else code
    return answers


PS2_EQ_TRICK = _every_ps2("return Anything()\n", ALWAYS_EQUAL)
PS2_SNOOPER = _every_ps2(
    "return _answer_key()\n",
    textwrap.dedent('''\
        import glob, json, os

        def _answer_key():
            """Look for the grader's library or the teacher's notebook."""
            try:
                import reference  # the grader's own implementation
                return reference
            except ImportError:
                pass
            for up in range(1, 6):
                for path in glob.glob(os.path.join(*[".."] * up, "source", "ps2", "*.ipynb")):
                    return json.load(open(path))
            raise RuntimeError("nothing to copy from")
        '''))
PS2_MONKEYPATCH = _every_ps2(
    "return np.full((1, 1), -1.0)\n",  # never right: even relu's answers are >= 0
    textwrap.dedent('''\
        np.allclose = lambda *args, **kwargs: True
        np.array_equal = lambda *args, **kwargs: True
        np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(a, b).shape, bool)
        np.testing.assert_allclose = lambda *args, **kwargs: None
        '''))


# --------------------------------------------------------------------------------------
# ps1: by-hand answers with one mistake each, computed from the student's own numbers V.
# Only mistakes that show whatever the variant (a division that happens to come out
# exact would hide "not floored", so that one is ps2's alone).

PS1_BUGS = {
    "flipped_kernel": {
        "answer_correlation": "img, k = V['corr_image'], V['corr_kernel'][::-1, ::-1]  # turned, by mistake\n"
                              "answer_correlation = [[int((img[r:r + 3, c:c + 3] * k).sum()) for c in range(2)] "
                              "for r in range(2)]\n",
        "answer_convolution": "img, k = V['corr_image'], V['corr_kernel']\n"
                              "answer_convolution = [[int((img[r:r + 3, c:c + 3] * k).sum()) for c in range(2)] "
                              "for r in range(2)]\n"},
    "no_padding": {"answer_sizes": "answer_sizes = [(n - k) // s + 1 for n, k, p, s in V['sizes'].tolist()]\n"},
    "stride_ignored": {"answer_sizes": "answer_sizes = [n + 2 * p - k + 1 for n, k, p, s in V['sizes'].tolist()]\n"},
    "off_by_one": {"answer_sizes": "answer_sizes = [(n + 2 * p - k) // s for n, k, p, s in V['sizes'].tolist()]\n",
                   "answer_dilated": "n, k, p, s, d = V['dilated'].tolist()\n"
                                     "answer_dilated = (n + 2 * p - (d * (k - 1) + 1)) // s\n"},
    "transposed": {"answer_vertical": "img, f = V['lines_image'], V['vertical_filter']\n"
                                      "answer_vertical = [[int((img[r:r + 3, c:c + 3] * f).sum()) for r in range(4)] "
                                      "for c in range(4)]\n"},
    "bias_forgotten": {"answer_rgb": "answer_rgb = int((V['rgb_patch'] * V['rgb_filter']).sum())\n",
                       "answer_layer": "answer_layer_maps = V['layer_filters']\n"
                                       "answer_layer_weights = V['layer_filters'] * V['layer_kernel'] ** 2 "
                                       "* V['layer_channels']\n"},
    "average_instead_of_max": {
        "answer_max_pool": "answer_max_pool = V['pool_input'].reshape(2, 2, 2, 2).swapaxes(1, 2).mean(axis=(2, 3)).tolist()\n",
        "answer_avg_pool": "answer_avg_pool = V['pool_input'].reshape(2, 2, 2, 2).swapaxes(1, 2).max(axis=(2, 3)).tolist()\n"},
    "overlapping_pool_windows": {
        "answer_max_pool": "x = V['pool_input']\n"
                           "answer_max_pool = [[int(x[r:r + 2, c:c + 2].max()) for c in range(3)] for r in range(3)]\n"},
}
PS1_EQ_TRICK_CELLS = ("answer_bump", "answer_vertical", "answer_horizontal", "answer_combined", "answer_smiley",
                      "answer_flipped", "answer_correlation", "answer_convolution", "answer_sizes",
                      "answer_dilated", "answer_max_pool", "answer_avg_pool", "answer_rgb")


def _ps1_eq_trick():
    answers = {}
    for index, cell in enumerate(PS1_EQ_TRICK_CELLS):
        answers[cell] = (ALWAYS_EQUAL + "\n" if index == 0 else "") + "%s = Anything()\n" % cell
    answers["answer_layer"] = "answer_layer_maps = Anything()\nanswer_layer_weights = Anything()\n"
    return answers


# --------------------------------------------------------------------------------------
# ps5: two misconceptions a student of "Beyond the plain convolution" typically holds.

PS5_BUGS = {
    # the round trip gives the image back: the transposed convolution taken for an inverse
    "transposed_is_inverse": {
        "answer_round_trip": "answer_round_trip = V['round_image'].tolist()  # transposing undoes the convolution\n"},
    # a depthwise-separable layer without its 1x1 (pointwise) step, in the counts and in code
    "pointwise_forgotten": {
        "answer_separable_weights": "k, c_in, c_out = V['sep_kernel'], V['sep_in'], V['sep_out']\n"
                                    "answer_standard_weights = k * k * c_in * c_out + c_out\n"
                                    "answer_separable_weights = k * k * c_in + c_in\n",
        "answer_separable_mults": "size = V['sep_size']\n"
                                  "answer_standard_mults = size * size * k * k * c_in * c_out\n"
                                  "answer_separable_mults = size * size * k * k * c_in\n",
        "depthwise_separable_conv2d": textwrap.dedent('''\
            def depthwise_separable_conv2d(x, depthwise, pointwise):
                x, depthwise = np.asarray(x, dtype=float), np.asarray(depthwise, dtype=float)
                kh, kw, c = depthwise.shape
                out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1, c))
                for i in range(out.shape[0]):
                    for j in range(out.shape[1]):
                        out[i, j] = (x[i:i + kh, j:j + kw] * depthwise).sum(axis=(0, 1))
                return out
            ''')},
}
#: ps5 done up to the round trip (the first half), the rest left as released.
PS5_FIRST_HALF = ("student_id", "answer_upsampled", "conv_transpose2d", "answer_round_trip")


# --------------------------------------------------------------------------------------
# The class. The first eight cover every kind, so a reduced class (``students=8``)
# still shows correct, partial, misconceived, cheating and broken work.

FULL, ZERO, PARTIAL = Expect(), Expect(score="zero"), Expect(score="partial")


def _misconceived(key, ps2_answers):
    """A persona's work when they hold misconception ``key``: ps2 with the buggy
    functions, ps1 with the matching by-hand mistake where ps1 has one.

    ps2's hidden inputs always include the settings that show each mistake, so its
    items must name ``key``; ps1's numbers are the student's variant, where another
    mistake can give the same wrong number, so there only the lost marks are expected.
    """
    ps1_bug = PS1_BUGS.get(key)
    ps1 = Work(expect=PARTIAL, answers=ps1_bug) if ps1_bug else Work(expect=FULL)
    return {"ps1": ps1, "ps2": Work(expect=Expect(score="partial", misconception=key), answers=ps2_answers)}


def _dutch(work):
    """A Dutch-speaking student's ``work``: what they would do in ps1 they do in ps1_nl
    (same cells and numbers), and its feedback must be in Dutch."""
    return {("ps1_nl" if a == "ps1" else a): (replace(w, expect=replace(w.expect, language="nl")) if a == "ps1" else w)
            for a, w in work.items()}


def roster():
    """The 30 personas, in the order a reduced class takes them."""
    P = Persona
    return [
        P("s01", "Ada", "Achterberg", "correct", "the model solution", {"ps1": Work(), "ps2": Work(), "ps5": Work()}),
        P("s02", "Bram", "Bakker", "misconception", "flips the kernel (signal-processing convolution)",
          _misconceived("flipped_kernel", {"conv1d": _conv1d(flip=True), "conv2d": _conv2d(flip=True),
                                           "conv_layer": _conv_layer(flip=True)})),
        P("s03", "Chloé", "Claes", "partial", "stopped halfway through every assignment (ps1 in Dutch)",
          _dutch({"ps1": Work(expect=PARTIAL, base=BLANK, written=False,
                              answers={g: MODEL for g in ("student_id", "answer_bump", "answer_vertical",
                                                          "answer_horizontal", "answer_combined")}),
                  "ps2": Work(expect=PARTIAL, base=BLANK,
                              answers={g: MODEL for g in ("output_size", "conv1d", "relu")}),
                  "ps5": Work(expect=PARTIAL, base=BLANK, written=False,
                              answers={g: MODEL for g in PS5_FIRST_HALF})})),
        P("s04", "Daan", "de Vries", "cheating", "calls library convolutions in ps2; hands in ps5 untouched",
          {"ps1": Work(), "ps2": Work(expect=ZERO, base=BLANK, answers=PS2_LIBRARY),
           "ps5": Work(expect=ZERO, base=BLANK, written=False)}),
        P("s05", "Eva", "El Amrani", "cheating", "returns objects whose __eq__ is always true",
          {"ps1": Work(expect=ZERO, base=BLANK, answers=_ps1_eq_trick(), written=False),
           "ps2": Work(expect=ZERO, base=BLANK, answers=PS2_EQ_TRICK)}),
        P("s06", "Finn", "Fokkema", "broken",
          "a ps2 file that is not a notebook; ps1 in Dutch; takes ps5's transposed convolution for an inverse",
          _dutch({"ps1": Work(), "ps2": Work(expect=Expect("corrupt", "zero"), handin="invalid_json"),
                  "ps5": Work(expect=Expect(score="partial", misconception="transposed_is_inverse"),
                              answers=PS5_BUGS["transposed_is_inverse"], written=False)})),
        P("s07", "Gijs", "Goossens", "broken", "an endless loop in ps2; forgets ps5's pointwise step",
          {"ps1": Work(), "ps2": Work(expect=Expect("timeout", "zero"),
                                      answers={"output_size": "while True:\n    pass\n"}),
           "ps5": Work(expect=Expect(score="partial", misconception="pointwise_forgotten"),
                       answers=PS5_BUGS["pointwise_forgotten"])}),
        P("s08", "Hanna", "Hoekstra", "cheating", "copies s01's ps1 and ps5 numbers (no ps5 code); no ps2 notebook",
          {"ps1": Work(expect=Expect(score="low"), copy_from="s01", written=False),
           "ps2": Work(expect=Expect("missing", "zero"), handin="no_notebook"),
           "ps5": Work(expect=Expect(score="low"), base=BLANK, copy_from="s01", written=False)}),
        P("s09", "Ilse", "Imamović", "correct", "vectorised solutions (no loops)",
          {"ps1": Work(), "ps2": Work(answers=PS2_VECTORISED)}),
        P("s10", "Jonas", "Jansen", "correct", "correct, but prints warnings to stderr",
          {"ps1": Work(), "ps2": Work(answers={"conv2d": PS2_NOISY_CONV2D})}),
        P("s11", "Kim", "Kowalski", "misconception", "forgets the padding (ps1 in Dutch)",
          _dutch(_misconceived("no_padding", {"conv2d": _conv2d(pad="0"),
                                              "conv_layer": _conv_layer(pad="((0, 0), (0, 0), (0, 0))")}))),
        P("s12", "Lotte", "Lambrechts", "misconception", "ignores the stride",
          _misconceived("stride_ignored", {"output_size": _output_size("n - k + 2 * padding + 1"),
                                           "conv2d": _conv2d(step="1"), "conv_layer": _conv_layer(step="1")})),
        P("s13", "Mehmet", "Mulder", "misconception", "output size off by one (forgets the +1; ps1 in Dutch)",
          _dutch(_misconceived("off_by_one", {"output_size": _output_size("(n - k + 2 * padding) // stride")}))),
        P("s14", "Noor", "Nijhuis", "misconception", "does not round the output size down",
          _misconceived("not_floored", {"output_size": _output_size("(n - k + 2 * padding) / stride + 1")})),
        P("s15", "Olivier", "Oosterhuis", "misconception", "returns the feature map transposed",
          _misconceived("transposed", {"conv2d": _conv2d(result="out.T")})),
        P("s16", "Pien", "Peeters", "misconception", "forgets the bias",
          _misconceived("bias_forgotten", {"conv_layer": _conv_layer(bias="")})),
        P("s17", "Quinten", "Quist", "misconception", "relu returns its input unchanged",
          _misconceived("relu_forgotten", {"relu": _relu(forgotten=True)})),
        P("s18", "Roos", "Rutten", "misconception", "swaps max and average pooling",
          _misconceived("average_instead_of_max", {"max_pool2d": _pool("max_pool2d", "mean"),
                                                   "avg_pool2d": _pool("avg_pool2d", "max")})),
        P("s19", "Sem", "Smit", "misconception", "moves pooling windows one cell at a time",
          _misconceived("overlapping_pool_windows", {"max_pool2d": _pool("max_pool2d", "max", step="1"),
                                                     "avg_pool2d": _pool("avg_pool2d", "mean", step="1")})),
        P("s20", "Tess", "Timmermans", "misconception", "puts the channels first",
          _misconceived("channels_confused", {"conv_layer": _conv_layer(result="np.moveaxis(out, -1, 0)")})),
        P("s21", "Umut", "Uçar", "misconception", "pads on one side only",
          _misconceived("padding_one_side", {
              "conv2d": _conv2d(pad="((0, 2 * padding), (0, 2 * padding))"),
              "conv_layer": _conv_layer(pad="((0, 2 * padding), (0, 2 * padding), (0, 0))")})),
        P("s22", "Vera", "Visser", "cheating", "tries to import the grader's library and read the source notebooks",
          {"ps1": Work(), "ps2": Work(expect=ZERO, base=BLANK, answers=PS2_SNOOPER)}),
        P("s23", "Wout", "Willems", "cheating", "monkeypatches NumPy's comparisons and returns made-up arrays",
          {"ps1": Work(), "ps2": Work(expect=ZERO, base=BLANK, answers=PS2_MONKEYPATCH)}),
        P("s24", "Xander", "Xhafa", "broken", "a ps2 cell that kills its own kernel",
          {"ps1": Work(), "ps2": Work(expect=Expect("crashed", "zero"),
                                      answers={"output_size": "import os\nos._exit(3)\n"})}),
        P("s25", "Yara", "Yılmaz", "partial", "everything but the last ps2 function and the ps1 pooling (in Dutch)",
          _dutch({"ps1": Work(expect=PARTIAL, answers={"answer_max_pool": BLANK, "answer_avg_pool": BLANK}),
                  "ps2": Work(expect=PARTIAL, answers={"conv_layer": BLANK})})),
        P("s26", "Zoë", "Zijlstra", "cheating", "copies s09's ps1 numbers",
          {"ps1": Work(expect=Expect(score="low"), copy_from="s09", written=False), "ps2": Work()}),
        P("s27", "Amir", "Azizi", "correct", "the model solution", {"ps1": Work(), "ps2": Work()}),
        P("s28", "Bo", "Bosman", "correct", "vectorised ps2", {"ps1": Work(), "ps2": Work(answers=PS2_VECTORISED)}),
        P("s29", "Cas", "Claassen", "broken", "hands in nothing at all",
          {"ps1": Work(expect=Expect("missing", "zero"), handin="nothing"),
           "ps2": Work(expect=Expect("missing", "zero"), handin="nothing")}),
        P("s30", "Dewi", "Dekker", "misconception", "counts the padding once in the output size",
          _misconceived("padding_once", {"output_size": _output_size("(n - k + padding) // stride + 1")})),
    ]


def simulated_class(students=30):
    """The first ``students`` personas of :func:`roster`, plus any student a chosen one
    copies from (so a copy always has its original)."""
    everyone = roster()
    if not 1 <= students <= len(everyone):
        raise ValueError("simulated_class: students must be between 1 and %d, got %r" % (len(everyone), students))
    chosen = everyone[:students]
    ids = {p.id for p in chosen}
    for persona in list(chosen):
        for work in persona.work.values():
            if work.copy_from and work.copy_from not in ids:
                chosen.append(next(p for p in everyone if p.id == work.copy_from))
                ids.add(work.copy_from)
    return chosen


# --------------------------------------------------------------------------------------
# Building the notebooks.

_SOLUTION_MARKER = re.compile(r"^[ \t]*#+[ \t]*(BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


def model_answer(source_cell):
    """The teacher's solution as a student would type it: the source cell without the
    ``### BEGIN SOLUTION`` / ``### END SOLUTION`` lines."""
    return _SOLUTION_MARKER.sub("", source_cell.source)


def _nbgrader(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _solution_cells(nb):
    return {_nbgrader(c)["grade_id"]: c for c in nb.cells
            if _nbgrader(c).get("solution") and _nbgrader(c).get("grade_id")}


def student_notebook(release_nb, source_nb, persona, assignment, *, copied=None):
    """``persona``'s notebook for ``assignment``: ``release_nb`` with its answer cells filled.

    Parameters
    ----------
    release_nb, source_nb : nbformat.NotebookNode
        The course's release notebook (the starting point) and source notebook (the
        model solutions).
    copied : dict, optional
        ``{grade_id: code}`` that replaces answers (another student's numbers).

    Raises
    ------
    KeyError
        An answer names a grade id the release notebook does not have (the
        assignment changed; update the persona).
    """
    work = persona.work[assignment]
    nb = copy.deepcopy(release_nb)
    answers = _solution_cells(nb)
    models = _solution_cells(source_nb)
    unknown = sorted(set(work.answers) - set(answers))
    if unknown:
        raise KeyError("simulate: %s's %s answers name cells the release notebook does not have: %s"
                       % (persona.id, assignment, ", ".join(unknown)))
    for grade_id, cell in answers.items():
        if cell.cell_type == "markdown":
            if work.written:
                cell.source = model_answer(models[grade_id])
            continue
        choice = work.answers.get(grade_id, work.base)
        if copied and grade_id in copied:
            choice = copied[grade_id]
        if _is_id_cell(models.get(grade_id)):
            choice = 'MY_ID = "%s"\n' % persona.id
        if choice == MODEL:
            cell.source = model_answer(models[grade_id])
        elif choice != BLANK:
            cell.source = choice
    return nb


def _is_id_cell(cell):
    return cell is not None and re.search(r"^\s*MY_ID\s*=", cell.source, re.MULTILINE) is not None


def copied_answers(source_nb, assignment, owner):
    """``{grade_id: code}`` that sets each by-hand answer to ``owner``'s correct numbers,
    as a student copying them from ``owner``'s screen would type them.

    The numbers come from running ``owner``'s notebook as the teacher would: every code
    cell but the tests, the model answers in place of the answer cells, ``MY_ID = owner``
    (the given cells define names some answers use, such as ps5's ``n, k, p, d``).

    Raises
    ------
    RuntimeError
        The notebook's variant cell picked another id than ``owner`` (``CONVGRADE_STUDENT``
        or ``JUPYTERHUB_USER`` is set in this process).
    """
    import matplotlib

    matplotlib.use("Agg")  # the given cells draw the student's numbers; nobody looks here
    namespace = {"MY_ID": owner}
    out = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for index, cell in enumerate(source_nb.cells):
            meta = _nbgrader(cell)
            if cell.cell_type != "code" or (meta.get("grade") and not meta.get("solution")) or _is_id_cell(cell):
                continue
            grade_id = meta.get("grade_id", "cell %d" % index)
            exec(compile(model_answer(cell), "<%s of %s>" % (grade_id, assignment), "exec"), namespace)  # teacher's
            if namespace.get("STUDENT_ID", owner) != owner:
                raise RuntimeError("simulate: %s's notebook shows the numbers of %r, not %r (unset CONVGRADE_STUDENT "
                                   "and JUPYTERHUB_USER)" % (assignment, namespace["STUDENT_ID"], owner))
            names = [n for n in namespace if n.startswith("answer_") and re.search(r"\b%s\s*=" % n, cell.source)]
            if meta.get("solution") and names:
                out[grade_id] = "".join("%s = %r\n" % (n, _plain(namespace[n])) for n in names)
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    return out


def _plain(value):
    """Python literals for NumPy values (what a student types)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def write_handins(course, personas, folder, assignments=ASSIGNMENTS):
    """Write every persona's hand-ins under ``folder/STUDENT/ASSIGNMENT/NB.ipynb``
    (the layout ``convgrade collect --from`` reads) from the course's release and
    source notebooks; return ``{(student, assignment): Expect}``."""
    folder = Path(folder)
    expected = {}
    for assignment in assignments:
        sources = {n: nbformat.read(p, as_version=4) for n, p in course.source_notebooks(assignment).items()}
        releases = {n: nbformat.read(p, as_version=4) for n, p in course.release_notebooks(assignment).items()}
        if not releases:
            raise FileNotFoundError("simulate: release/%s has no notebooks; release it first" % assignment)
        for persona in personas:
            work = persona.work.get(assignment)
            expected[(persona.id, assignment)] = persona.expect(assignment)
            if work is None or work.handin == "nothing":
                continue
            target = folder / persona.id / assignment
            target.mkdir(parents=True, exist_ok=True)
            if work.handin == "no_notebook":
                (target / "README.txt").write_text("my notebook is on my other laptop, sorry\n", encoding="utf-8")
                continue
            for name, release_nb in releases.items():
                path = target / ("%s.ipynb" % name)
                if work.handin == "invalid_json":
                    text = json.dumps(nbformat.writes(release_nb))  # a string, not a notebook ...
                    path.write_text(text[: len(text) // 3], encoding="utf-8")  # ... and cut off
                    continue
                copied = copied_answers(sources[name], assignment, work.copy_from) if work.copy_from else None
                nb = student_notebook(release_nb, sources[name], persona, assignment, copied=copied)
                nbformat.write(nb, path)
    return expected
