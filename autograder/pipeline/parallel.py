"""Grade many submissions at once and record each as it arrives.

Workers only grade: each runs :func:`autograder.pipeline.grade.grade_submission` and sends
back the plain-data :class:`~autograder.records.SubmissionResult`. The coordinating
process (the one running ``convgrade autograde``) alone writes, one transaction per
result, in the order results arrive (:mod:`autograder.pipeline.record`). Two back ends:

- :func:`run_local` - ``--workers N`` processes (forked from a clean fork server, so
  nothing of the coordinator's database connections or threads is inherited). A worker that dies
  mid-notebook (the OOM killer, a signal) is replaced; its submission is tried once
  more, then recorded as ``crashed``; the others carry on. A worker whose coordinator
  died exits on its own (its pipe closes), taking its sandboxed kernel with it.
- :func:`run_dask` - ``--dask ADDRESS``: the same calls as tasks on an existing
  ``dask.distributed`` cluster (whose workers must see the course directory at the
  same path); a task that fails (Dask retries a lost worker's task itself) is
  recorded as ``crashed``.

:func:`autograde` is the whole command: checks, the course lock, what is left to
grade (a submission with a recorded result and unchanged files is skipped unless
``force``), the run, and a summary. Grading is deterministic: a submission's random
inputs come from its files and a salt kept in the gradebook
(:func:`autograder.pipeline.plan.inputs_seed`), so ``--force`` on an unchanged file
gives the same score; ``new_inputs`` draws a new salt per submission, which later runs
keep until the next ``new_inputs``.
"""
from __future__ import annotations

import collections
import itertools
import logging
import multiprocessing
import os
import re
import secrets
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from multiprocessing.connection import wait

from tqdm import tqdm

from autograder.course import submission_hash
from autograder.errors import ConvgradeError, UnknownAssignment
from autograder.isolation.scratch import RunScratch, remove_tree
from autograder.pipeline import rebuild
from autograder.pipeline.grade import failed_result, grade_submission
from autograder.pipeline.identity import has_variants, load_roster
from autograder.pipeline.record import Store, course_lock

log = logging.getLogger(__name__)
#: How many times a submission is tried again after its worker died.
RETRIES = 1


def default_workers():
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


@dataclass
class RunSummary:
    """What a run did: per-status counts, skipped submissions, wall time."""

    graded: list = field(default_factory=list)     # (student, status, score, max_score, detail)
    skipped: list = field(default_factory=list)    # students with an up-to-date result
    seconds: float = 0.0
    protections: list = field(default_factory=list)
    new_inputs: int = 0                            # submissions given new random inputs
    roster_size: int | None = None                 # students in the roster (None: no per-student numbers)
    id_checks: list = field(default_factory=list)  # (student, id_check, typed id, variant id, flag)

    @property
    def counts(self):
        return collections.Counter(row[1] for row in self.graded)

    @property
    def id_counts(self):
        return collections.Counter(row[1] for row in self.id_checks)

    @property
    def per_minute(self):
        return 60.0 * len(self.graded) / self.seconds if self.seconds > 0 else 0.0


def autograde(course, assignment, students=None, *, workers=None, limits=None, dask_address=None,
              force=False, progress=True, require_sandbox=False, rng_seed=None, busy_timeout=None,
              lock_wait=0.0, new_inputs=False):
    """``convgrade autograde``: grade what has no result yet and record it.

    Parameters
    ----------
    course : autograder.course.Course
    assignment : str
    students : list of str, optional
        Default: everyone with ``submitted/STUDENT/ASSIGNMENT``.
    workers : int, optional
        Local worker processes (default: the cores available); ignored with
        ``dask_address``.
    force : bool
        Grade again submissions that already have a result (on the same inputs).
    new_inputs : bool
        Grade again with new random inputs (a new salt per submission, kept).
    lock_wait : float
        Seconds to wait for another run that is grading the course; it finishes first,
        and this run then grades only what it left.

    Returns
    -------
    RunSummary
    """
    course.require_assignment(assignment)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ConvgradeError("--workers must be a whole number >= 1, got %r" % (workers,))
    students = course.require_students(assignment, students) if students else course.submitted_students(assignment)
    course.student_python  # fail now if the students' environment is missing
    summary = RunSummary()
    started = time.perf_counter()
    with course_lock(course, "autograde %s" % assignment, wait=lock_wait), \
            Store(course, busy_timeout=busy_timeout) as store:
        _check_released(course, store, assignment)
        store.check_writable()
        recorded = store.recorded(assignment) if not (force or new_inputs) else {}
        todo = []
        for student in students:
            if student in recorded and recorded[student] == submission_hash(course.submission_dir(student, assignment)):
                summary.skipped.append(student)
            else:
                todo.append(student)
        salts = store.inputs_salts(assignment)
        if new_inputs:
            salts.update({student: secrets.token_hex(8) for student in todo})
            summary.new_inputs = len(todo)
        kwargs = {"limits": limits, "require_sandbox": require_sandbox, "rng_seed": rng_seed,
                  "salts": {student: salts.get(student, "") for student in todo}}
        if has_variants(assignment):
            kwargs["roster"] = load_roster(store.engine)
            summary.roster_size = len(kwargs["roster"].entries)

        def record(result):
            store.write(result)
            summary.graded.append((result.student, result.status, result.score, result.max_score, result.detail))
            if result.id_check:
                summary.id_checks.append((result.student, result.id_check, result.typed_id, result.variant_id,
                                          result.id_flag))
            for protection in result.protections:
                general = re.sub(r" \(\d+\)$", "", protection)  # "uid per notebook (1234)": one line for all
                if general not in summary.protections:
                    summary.protections.append(general)

        if todo:
            if dask_address:
                run_dask(course, assignment, todo, dask_address, record, kwargs=kwargs, progress=progress)
            else:
                run_local(course, assignment, todo, record, workers=workers or default_workers(), kwargs=kwargs,
                          progress=progress, grade_fn=grade_submission)
    summary.seconds = time.perf_counter() - started
    return summary


def _check_released(course, store, assignment):
    structure = store.gradebook_structure(assignment)
    if structure is None:
        raise UnknownAssignment("%s is not in the gradebook; run `convgrade release %s` first"
                                % (assignment, assignment))
    for name, path in course.source_notebooks(assignment).items():
        cells = rebuild.read_teacher(path).cells
        wanted = {rebuild.grade_id(c) for c in cells if rebuild.is_grade(c) or rebuild.is_task(c)}
        if name not in structure or structure[name] != wanted:
            raise ConvgradeError("source/%s/%s.ipynb changed since it was released (its graded cells differ "
                                 "from the gradebook's); run `convgrade release %s --force`"
                                 % (assignment, name, assignment))


# -- local processes ----------------------------------------------------------------------
def _worker_main(conn, grade_fn, course, assignment, kwargs, scratch):
    """A worker process: grade each student it is sent until told to stop (None) or
    until its coordinator is gone (the pipe closes). Its temporary folders go under
    ``scratch``, which its coordinator removes should it die."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
    tempfile.tempdir = str(scratch)
    logging.getLogger("traitlets").setLevel(logging.CRITICAL)  # nbclient's notes repeat the result's detail
    while True:
        try:
            student = conn.recv()
        except (EOFError, OSError):
            return
        if student is None:
            return
        try:
            result = grade_fn(course, assignment, student, **kwargs)
        except BaseException as exc:  # grade_submission does not raise; anything else still gets a row
            result = failed_result(course, assignment, student, "error", "grading failed: %s: %s"
                                   % (type(exc).__name__, " ".join(str(exc).split())))
        try:
            conn.send(result)
        except (BrokenPipeError, OSError):
            return


class _Worker:
    def __init__(self, context, grade_fn, course, assignment, kwargs, scratch):
        self.conn, child = context.Pipe()
        self.scratch = scratch
        self.process = context.Process(target=_worker_main,
                                       args=(child, grade_fn, course, assignment, kwargs, scratch),
                                       daemon=True, name="convgrade-worker")
        self.process.start()
        child.close()
        self.student = None
        self.started = None

    def give(self, student):
        self.student, self.started = student, time.perf_counter()
        self.conn.send(student)

    def stop(self):
        try:
            self.conn.send(None)
        except (BrokenPipeError, OSError):
            pass

    def kill(self):
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)

    def remove_scratch(self):
        """Remove what the worker left in its folder (call once it is dead)."""
        remove_tree(self.scratch)


def run_local(course, assignment, students, record, *, workers, kwargs=None, progress=True, grade_fn=None):
    """Grade ``students`` in ``workers`` processes; call ``record(result)`` here, in the
    coordinating process, for each result as it arrives.

    ``grade_fn(course, assignment, student, **kwargs)`` defaults to
    :func:`autograder.pipeline.grade.grade_submission` (it must be importable by name: the
    workers come from a fork server, not from this process).
    """
    grade_fn = grade_fn or grade_submission
    kwargs = kwargs or {}
    # forkserver: workers start from a clean process that imported the grader once, not
    # from this one (which holds database connections and a progress-bar thread)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["autograder.pipeline.grade"])
    queue = collections.deque(students)
    deaths = collections.Counter()
    with RunScratch() as scratch:
        serial = itertools.count(1)

        def new_worker():
            return _Worker(context, grade_fn, course, assignment, kwargs, scratch.worker(next(serial)))

        bar = _progress(len(students), assignment, progress)
        pool = [new_worker() for _ in range(min(workers, len(students)))]
        try:
            for worker in pool:
                if queue:
                    worker.give(queue.popleft())
            while any(w.student is not None for w in pool):
                busy = [w for w in pool if w.student is not None]
                ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
                for index, worker in enumerate(pool):
                    if worker.student is None or (worker.conn not in ready and worker.process.sentinel not in ready):
                        continue
                    result = None
                    try:
                        if worker.conn.poll():
                            result = worker.conn.recv()
                    except (EOFError, OSError):
                        result = None
                    if result is None and worker.process.is_alive() and worker.conn not in ready:
                        continue  # a sentinel race: nothing to read yet
                    student = worker.student
                    worker.student = None
                    if result is None:  # the worker died while grading `student`
                        worker.process.join(5)  # its pipe can close before it is reaped
                        code = worker.process.exitcode
                        worker.kill()
                        worker.remove_scratch()
                        deaths[student] += 1
                        log.warning("the worker grading %s died (%s)", student, _exit_text(code))
                        if deaths[student] <= RETRIES:
                            queue.appendleft(student)
                        else:
                            result = failed_result(course, assignment, student, "crashed",
                                                   "the grading worker died %d times on this submission (last: %s)"
                                                   % (deaths[student], _exit_text(code)))
                        pool[index] = worker = new_worker()
                    if result is not None:
                        record(result)
                        bar.update(result)
                    if queue:
                        worker.give(queue.popleft())
        finally:
            for worker in pool:
                worker.stop()
            for worker in pool:
                worker.process.join(10)
                worker.kill()
            bar.close()


def _exit_text(code):
    if code is None:
        return "still running"
    if code < 0:
        try:
            return "killed by %s" % signal.Signals(-code).name
        except ValueError:
            return "killed by signal %d" % -code
    return "exit code %d" % code


# -- Dask ------------------------------------------------------------------------------------
def run_dask(course, assignment, students, address, record, *, kwargs=None, progress=True, grade_fn=None):
    """Send the same ``grade_fn`` calls to the Dask scheduler at ``address``; record
    results here as they complete."""
    try:  # here, not at the top: Dask takes seconds to load, and only --dask needs it
        from distributed import Client, as_completed
    except ImportError:  # pragma: no cover - dask[distributed] is a dependency
        raise ConvgradeError("--dask needs dask.distributed (pip install 'dask[distributed]')") from None
    grade_fn = grade_fn or grade_submission
    kwargs = kwargs or {}
    try:
        client = Client(address, timeout=30)
    except (OSError, TimeoutError, ValueError) as exc:  # ValueError: a malformed address ("host" without port)
        raise ConvgradeError("cannot reach the Dask scheduler at %s: %s" % (address, " ".join(str(exc).split())))
    bar = _progress(len(students), assignment, progress)
    run = uuid.uuid4().hex[:8]
    try:
        futures = {client.submit(grade_fn, course, assignment, student, key="convgrade-%s-%s-%s" % (run, assignment, student),
                                 pure=False, retries=RETRIES, **kwargs): student for student in students}
        for future in as_completed(futures):
            student = futures[future]
            try:
                result = future.result()
            except Exception as exc:
                result = failed_result(course, assignment, student, "crashed", "the Dask task failed: %s: %s"
                                       % (type(exc).__name__, " ".join(str(exc).split())[:300]))
            record(result)
            bar.update(result)
    finally:
        bar.close()
        client.close()


# -- progress ----------------------------------------------------------------------------------
class _progress:
    """A tqdm bar: submissions done, failures (status other than graded), time left."""

    def __init__(self, total, assignment, enabled):
        self.failures = 0
        self.bar = None
        if enabled:
            self.bar = tqdm(total=total, desc="grading %s" % assignment, unit="submission", file=sys.stderr,
                            dynamic_ncols=True, mininterval=0.5)
            self.bar.set_postfix(failures=0)

    def update(self, result):
        if result.status != "graded":
            self.failures += 1
        if self.bar is not None:
            self.bar.set_postfix(failures=self.failures, refresh=False)
            self.bar.update(1)

    def close(self):
        if self.bar is not None:
            self.bar.close()
