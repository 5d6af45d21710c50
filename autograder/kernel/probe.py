"""What a hidden test cell calls: ``convgrade_kernel.check("ps2.conv2d", globals())``.

A check runs in one of two modes, chosen by the environment:

collect mode (``CONVGRADE_PLAN`` is set; convgrade's sandboxed grading)
    The grader wrote a plan: for each check id, a list of cases, each either
    ``{"call": name, "args": [...], "kwargs": {...}}`` (call a student function on
    inputs drawn at grading time) or ``{"value": name}`` (read a student variable; with
    ``"also": [names]`` those earlier answers go along, as the record's ``"also": {name:
    <encoded>}``, for follow-through credit).
    Each case's outcome is written as one JSON line to ``CONVGRADE_RESULTS`` (the
    grader's results channel, a FIFO it reads cell by cell; a plain file works too):
    ``{"check": id, "case": i, "ok": true, "value": <encoded>, "seconds": t,
    "library_calls": [...]}`` or ``{"check": id, "case": i, "ok": false,
    "error": "TypeError", "message": "..."}``. Nothing is compared here and nothing
    raises: the grader compares with ``reference`` in its own process.

    A check that bans library convolutions (its plan lists ``library_functions``) calls
    the student's functions in a forked child of the kernel (:func:`_run_isolated`): the
    child has no other thread (a thread started earlier cannot do the work out of the
    watcher's sight), may start no thread or process (``RLIMIT_NPROC`` 0), and keeps
    nothing it changes; its records come back through a pipe.

in-process mode (no plan; stock ``nbgrader autograde`` of the source notebooks)
    The check imports the grader's ``autograder.pipeline.in_process`` (present only in the
    grader's environment), builds its cases, compares, and raises AssertionError
    with the student-facing message when the check does not earn full marks.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import resource
import select
import signal
import sys
import threading
import time
import traceback

from convgrade_kernel.codec import decode, encode

MESSAGE_LIMIT = 2000
#: Share of the grader's seconds per cell (``case_seconds`` in the plan) an isolated
#: check may take before its child is stopped, so the cell itself still ends in time.
ISOLATED_SHARE = 0.8


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
    # by name, and only here: the students' environment has no autograder to import
    in_process = importlib.import_module("autograder.pipeline.in_process")
    in_process.run_in_process(check_id, namespace)
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
    cases = spec.get("cases", [])
    if watched and hasattr(os, "fork"):
        seconds = float(plan.get("case_seconds") or 30.0) * ISOLATED_SHARE
        records = _run_isolated(check_id, cases, namespace, watched, seconds)
    else:
        records = (_run_case(check_id, index, case, namespace, watched) for index, case in enumerate(cases))
    for record in records:
        _append(results_path, record)


def _run_isolated(check_id, cases, namespace, watched, seconds):
    """The records of ``cases``, run in a forked child of this kernel (see the module
    docstring); a case the child did not finish gets an error record."""
    read_end, write_end = os.pipe()
    try:
        pid = _fork()
    except OSError as exc:
        os.close(read_end)
        os.close(write_end)
        lines, reason = [], "the check could not start (%s): the notebook's own processes used up its limit" % (
            type(exc).__name__)
    else:
        if pid == 0:  # the child: never returns
            _isolated_child(read_end, write_end, check_id, cases, namespace, watched)
        os.close(write_end)
        try:
            lines, reason = _read_child(read_end, pid, seconds)
        finally:
            os.close(read_end)
    records = {}
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("check") == check_id and isinstance(record.get("case"), int):
            records.setdefault(record["case"], record)
    for index in range(len(cases)):
        yield records.get(index) or {"check": check_id, "case": index, "ok": False, "error": "RuntimeError",
                                     "message": reason or "the function ended its process before it returned"}


def _fork():
    """``os.fork()``; where the notebook's processes have used up the sandbox's limit
    (``EAGAIN``), first end the kernel's own child processes (left running by the
    notebook: nothing a notebook starts outlives its grading anyway), then try once more."""
    try:
        return os.fork()
    except BlockingIOError:
        for child in _own_children():
            try:
                os.kill(child, signal.SIGKILL)
                os.waitpid(child, 0)
            except OSError:
                pass
        return os.fork()


def _own_children():
    """Process ids whose parent is this process (read from ``/proc``)."""
    me, children = os.getpid(), []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 1 and fields[1] == str(me).encode():
            children.append(int(name))
    return children


def _isolated_child(read_end, write_end, check_id, cases, namespace, watched):
    code = 0
    try:
        os.close(read_end)
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
        # the kernel's output streams need threads this child does not have
        sys.stdout = sys.stderr = io.StringIO()
        for index, case in enumerate(cases):
            record = _run_case(check_id, index, case, namespace, watched)
            data = (json.dumps(record, allow_nan=True) + "\n").encode("utf-8")
            view = memoryview(data)
            while view:
                view = view[os.write(write_end, view):]
            sys.stdout = sys.stderr = io.StringIO()
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _read_child(read_end, pid, seconds):
    """``(lines, reason)``: what the child wrote until it ended or ``seconds`` passed (then
    it is killed, and ``reason`` says so)."""
    deadline, buffer, reason = time.monotonic() + seconds, bytearray(), ""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            reason = "the function did not finish within %g seconds" % round(seconds, 1)
            os.kill(pid, signal.SIGKILL)
            break
        ready, _, _ = select.select([read_end], [], [], min(left, 1.0))
        if ready:
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                break
            buffer += chunk
    os.waitpid(pid, 0)
    return bytes(buffer).splitlines(), reason


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
            # earlier answers the grader weighs this one against (follow-through credit)
            also = [n for n in case.get("also", []) if isinstance(n, str) and n in namespace]
            if also:
                record["also"] = {n: encode(namespace[n]) for n in also}
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
