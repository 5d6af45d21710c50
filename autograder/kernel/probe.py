"""What a hidden test cell calls: ``convgrade_kernel.check("ps2.conv2d", globals())``.

A check runs in one of two modes, chosen by the environment:

collect mode (``CONVGRADE_PLAN`` is set; convgrade's sandboxed grading)
    The grader wrote a plan: for each check id, a list of cases, each either
    ``{"call": name, "args": [...], "kwargs": {...}}`` (call a student function on
    inputs drawn at grading time) or ``{"value": name}`` (read a student variable).
    Each case's outcome is appended as one JSON line to ``CONVGRADE_RESULTS``:
    ``{"check": id, "case": i, "ok": true, "value": <encoded>, "seconds": t,
    "library_calls": [...]}`` or ``{"check": id, "case": i, "ok": false,
    "error": "TypeError", "message": "..."}``. Nothing is compared here and nothing
    raises: the grader compares with ``reference`` in its own process.

in-process mode (no plan; stock ``nbgrader autograde`` of the source notebooks)
    The check imports the grader's ``autograder.checks`` (present only in the
    grader's environment), builds its cases, compares, and raises AssertionError
    with the student-facing message when the check does not earn full marks.
"""
from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import threading
import time
import traceback

from convgrade_kernel.codec import decode, encode

MESSAGE_LIMIT = 2000


def student_id(typed=""):
    """The id whose variant this notebook shows.

    The grader's ``CONVGRADE_STUDENT`` wins, then a hub's ``JUPYTERHUB_USER``, then
    what the student typed. Grading never trusts this value: it regenerates the
    variant from the id the submission is filed under.
    """
    for source in (os.environ.get("CONVGRADE_STUDENT"), os.environ.get("JUPYTERHUB_USER"), typed):
        if source and str(source).strip():
            return str(source).strip()
    return ""


def check(check_id, namespace=None):
    """Run the hidden check ``check_id`` against the names in ``namespace``.

    Parameters
    ----------
    check_id : str
        ``"<assignment>.<item>"``, a key of the grader's check registry.
    namespace : dict, optional
        The notebook's globals; defaults to the caller's globals.
    """
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    plan_path = os.environ.get("CONVGRADE_PLAN")
    if plan_path:
        _collect(check_id, namespace, plan_path, os.environ["CONVGRADE_RESULTS"])
        return None
    checks = importlib.import_module("autograder.checks")
    checks.run_in_process(check_id, namespace)
    # Return nothing: a test cell's last value is shown in the feedback (it would carry the
    # hidden inputs) and nbgrader reads it as a partial-credit score.
    return None


def _collect(check_id, namespace, plan_path, results_path):
    with open(plan_path, encoding="utf-8") as fh:
        plan = json.load(fh)
    spec = plan.get("checks", {}).get(check_id)
    if spec is None:
        _append(results_path, {"check": check_id, "case": -1, "ok": False,
                               "error": "PlanError", "message": "no plan for this check"})
        return
    watched = spec.get("library_functions", [])
    for index, case in enumerate(spec.get("cases", [])):
        _append(results_path, _run_case(check_id, index, case, namespace, watched))


def _run_case(check_id, index, case, namespace, watched):
    record = {"check": check_id, "case": index}
    name = case.get("call") or case.get("value")
    if name not in namespace:
        record.update(ok=False, error="NameError", message="name %r is not defined" % name)
        return record
    started = time.perf_counter()
    try:
        if case.get("call"):
            args = [decode(a) for a in case.get("args", [])]
            kwargs = {k: decode(v) for k, v in case.get("kwargs", {}).items()}
            with _library_tripwire(watched) as calls:
                value = namespace[name](*args, **kwargs)
            record["library_calls"] = sorted(set(calls))
        else:
            value = namespace[name]
        record.update(ok=True, value=encode(value))
    except BaseException as exc:  # SystemExit and KeyboardInterrupt from student code are results too
        record.update(ok=False, error=type(exc).__name__,
                      message=_short("".join(traceback.format_exception_only(type(exc), exc)).strip()))
    record["seconds"] = round(time.perf_counter() - started, 6)
    return record


def _append(path, record):
    line = json.dumps(record, allow_nan=True) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def _short(text):
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


#: What the library check records when a student's code switched the profiler off.
TRIPWIRE_REMOVED = "sys.setprofile"


def _watched_code(qualified_names):
    """``{code object or builtin: name}`` of the library functions already imported.

    NumPy's public functions are dispatchers around a Python implementation, whose code
    object is what runs; C builtins (torch's) are watched as themselves."""
    watched = {}
    for qualified in qualified_names:
        module_name, _, attr = qualified.rpartition(".")
        module = sys.modules.get(module_name)
        obj = getattr(module, attr, None) if module is not None else None
        for candidate in (obj, getattr(obj, "_implementation", None), getattr(obj, "__wrapped__", None)):
            code = getattr(candidate, "__code__", None)
            if code is not None:
                watched[code] = qualified
            elif candidate is not None and type(candidate).__name__ == "builtin_function_or_method":
                watched[candidate] = qualified
    return watched


@contextlib.contextmanager
def _library_tripwire(qualified_names):
    """Record calls to library convolutions ("numpy.convolve", "scipy.signal.correlate2d")
    made while a student's function runs, however the student reached them (an alias bound
    earlier, ``getattr`` with a computed name): a profiler recognises the functions' own
    code. Only modules already imported are watched. Switching the profiler off during
    the call is recorded as :data:`TRIPWIRE_REMOVED`."""
    calls = []
    watched = _watched_code(qualified_names)
    if not watched:
        yield calls
        return

    def profile(frame, event, arg):
        if event == "call":
            name = watched.get(frame.f_code)
        elif event == "c_call":
            try:
                name = watched.get(arg)
            except TypeError:  # an unhashable callable is no library function of ours
                name = None
        else:
            return
        if name is not None:
            calls.append(name)

    previous = sys.getprofile()
    sys.setprofile(profile)
    threading.setprofile(profile)
    try:
        yield calls
    finally:
        if sys.getprofile() is not profile:
            calls.append(TRIPWIRE_REMOVED)
        sys.setprofile(previous)
        threading.setprofile(None)
