"""The results channel, the codec's decoder and the probe's isolated run (issue 9, classes 2-4).

A kernel sends its check results through a FIFO the grader reads cell by cell
(:mod:`autograder.isolation.results_channel`); the grader decodes only plain arrays
(:func:`convgrade_kernel.codec.decode`); a check that bans library convolutions runs the
student's functions in a forked child with no other thread (:mod:`convgrade_kernel.probe`).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder.isolation.results_channel import ResultsChannel
from convgrade_kernel import probe
from convgrade_kernel.codec import PLAIN_DTYPES, decode, encode

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def channel(tmp_path):
    chan = ResultsChannel(tmp_path / "results.fifo", max_record_bytes=100, max_total_bytes=1000).open()
    writer = os.open(chan.path, os.O_WRONLY)
    yield chan, writer
    os.close(writer)
    chan.close()


def test_each_take_holds_only_what_arrived_since_the_last(channel):
    chan, writer = channel
    assert chan.take() == []  # nothing yet, and no blocking
    os.write(writer, b'{"a": 1}\n{"b"')
    assert chan.take() == [b'{"a": 1}']
    os.write(writer, b': 2}\n')
    assert chan.take() == [b'{"b": 2}']  # a line split across writes arrives whole


def test_an_over_long_line_is_dropped_as_it_streams_and_costs_nothing_else(channel):
    chan, writer = channel
    for _ in range(10):
        os.write(writer, b"x" * 60)  # 600 bytes without a newline
        chan.drain()
        assert len(chan._partial) <= 100  # never held whole
    os.write(writer, b"\nkept\n")
    assert chan.take() == [b"kept"]
    assert chan.losses.long_lines == 1 and chan.losses.overflow_bytes == 0
    assert "1 result line(s) longer than 100 bytes" in chan.losses.describe()


def test_lines_past_the_total_are_dropped_and_counted(channel):
    chan, writer = channel
    for i in range(30):
        os.write(writer, b"%02d" % i + b"y" * 48 + b"\n")  # 51 bytes a line
    kept = chan.take()
    assert sum(len(line) + 1 for line in kept) <= 1000 and len(kept) == 19
    assert chan.losses.overflow_bytes == 11 * 50
    assert "past the 1000 bytes" in chan.losses.describe()


def test_closing_removes_the_fifo_and_a_closed_writer_is_no_end(tmp_path):
    chan = ResultsChannel(tmp_path / "r.fifo").open()
    writer = os.open(chan.path, os.O_WRONLY)
    os.write(writer, b"one\n")
    os.close(writer)
    assert chan.take() == [b"one"] and chan.take() == []
    chan.close()
    assert not os.path.lexists(tmp_path / "r.fifo")


@pytest.mark.parametrize("bad, rule", [
    ({"__ndarray__": [1.0, 2.0], "dtype": "(100000000,)f8", "shape": [2]}, "dtype must be one of"),
    ({"__ndarray__": [1.0], "dtype": "V100000000", "shape": [1]}, "dtype must be one of"),
    ({"__ndarray__": [1.0], "dtype": "object", "shape": [1]}, "dtype must be one of"),
    ({"__ndarray__": [1.0], "dtype": "float64", "shape": [1000000000]}, "more than the"),
    ({"__ndarray__": [1.0], "dtype": "float64", "shape": [-1]}, "non-negative ints"),
    ({"__ndarray__": [1.0], "dtype": "float64", "shape": "1"}, "non-negative ints"),
    ({"__ndarray__": [1.0, 2.0], "dtype": "float64", "shape": [3]}, "must hold 3 numbers, not 2"),
    ({"__ndarray__": [[1, "x"]], "dtype": "int64", "shape": [1, 2]}, "numbers in nested lists"),
    ({"__ndarray__": [{"a": 1}], "dtype": "int64", "shape": [1]}, "numbers in nested lists"),
])
def test_the_decoder_refuses_what_is_not_a_plain_array_before_allocating(bad, rule):
    with pytest.raises(ValueError, match=rule):
        decode(bad)


@pytest.mark.parametrize("dtype", sorted(PLAIN_DTYPES))
def test_every_plain_dtype_still_crosses(dtype):
    value = np.arange(6).reshape(2, 3).astype(dtype)
    back = decode(json.loads(json.dumps(encode(value))))
    assert back.dtype == value.dtype and back.shape == (2, 3)
    np.testing.assert_array_equal(back, value)


# ---------------------------------------------------------------------------- the isolated run
def _records(check_id, cases, namespace, seconds=5.0):
    return list(probe._run_isolated(check_id, cases, namespace, ["numpy.convolve"], seconds))


def test_an_isolated_check_runs_in_a_child_and_keeps_none_of_its_changes():
    seen = []

    def conv1d(x, w):
        seen.append(os.getpid())  # lands in the child's copy of the list only
        return np.correlate(np.asarray(x, float), np.asarray(w, float), "valid")

    cases = [{"call": "conv1d", "args": [encode(np.arange(5.0)), encode(np.ones(2))]}]
    (record,) = _records("ps2.conv1d", cases, {"conv1d": conv1d})
    assert record["ok"] and decode(record["value"]).tolist() == [1.0, 3.0, 5.0, 7.0]
    assert seen == []


def test_a_thread_started_before_the_check_cannot_do_its_work():
    import queue

    jobs, done = queue.Queue(), queue.Queue()

    def worker():
        while True:
            x, w = jobs.get()
            done.put(np.convolve(x, w[::-1], "valid"))  # out of the watcher's sight, in the parent

    threading.Thread(target=worker, daemon=True).start()

    def conv1d(x, w):
        jobs.put((np.asarray(x, float), np.asarray(w, float)))
        return done.get()

    cases = [{"call": "conv1d", "args": [encode(np.arange(5.0)), encode(np.ones(2))]}] * 2
    started = time.monotonic()
    records = _records("ps2.conv1d", cases, {"conv1d": conv1d}, seconds=1.5)
    assert time.monotonic() - started < 5
    assert [r["ok"] for r in records] == [False, False]
    assert "did not finish within 1.5 seconds" in records[0]["message"]


def test_a_library_call_in_the_child_is_still_seen():
    def conv1d(x, w):
        return np.convolve(np.asarray(x, float), np.asarray(w, float)[::-1], "valid")

    cases = [{"call": "conv1d", "args": [encode(np.arange(5.0)), encode(np.ones(2))]}]
    (record,) = _records("ps2.conv1d", cases, {"conv1d": conv1d})
    assert record["ok"] and record["library_calls"] == ["numpy.convolve"]


def test_a_child_that_dies_gives_every_unfinished_case_an_error():
    def conv1d(x, w):
        os._exit(3)

    cases = [{"call": "conv1d", "args": [encode(np.arange(5.0)), encode(np.ones(2))]}] * 3
    records = _records("ps2.conv1d", cases, {"conv1d": conv1d})
    assert [r["case"] for r in records] == [0, 1, 2] and not any(r["ok"] for r in records)
    assert "ended its process" in records[0]["message"]


CHILD_TRIES_THREADS_AND_FORKS = """
import json, os, threading
from convgrade_kernel import probe

def f():
    out = []
    try:
        threading.Thread(target=lambda: None).start()
        out.append("thread started")
    except RuntimeError:
        out.append("no thread")
    try:
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        out.append("forked")
    except OSError:
        out.append("no fork")
    return " ".join(out)

(record,) = probe._run_isolated("x.f", [{"call": "f"}], {"f": f}, ["numpy.convolve"], 20)
print("RECORD", json.dumps(record))
"""


def test_the_child_may_start_no_thread_or_process_in_the_sandbox(tmp_path):
    """In the students' sandbox (an unprivileged uid: RLIMIT_NPROC binds no root), a thread
    or a fork inside an isolated check fails."""
    from autograder.isolation.sandbox import probe as sandbox_support
    from autograder.pipeline.execute import Limits, execute_notebook

    student_python = (ROOT / ".venv-student").resolve() / "bin" / "python"
    if not (student_python.exists() and sandbox_support().bubblewrap and sandbox_support().own_uid):
        pytest.skip("needs .venv-student, bubblewrap and root to give the kernel a uid of its own")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CHILD_TRIES_THREADS_AND_FORKS)])
    result = execute_notebook(nb, tmp_path, env={}, limits=Limits(cell_timeout=60), kernel_python=student_python,
                              require_sandbox=True)
    text = "".join(o.get("text", "") for o in result.notebook.cells[0].outputs)
    assert result.status == "ok" and "RECORD" in text, (result.detail, text)
    record = json.loads(text.split("RECORD", 1)[1])
    assert record["ok"] and record["value"] == "no thread no fork", record


# ------------------------------------------------------------- a grading worker's memory, measured
@pytest.mark.slow
def test_a_grading_worker_stays_small_whatever_records_a_kernel_writes(tmp_path):
    """The corpus's hostile-records notebook (dtype bombs, a billion-element shape, 40 MB
    lines) graded in a process of its own: its peak memory stays far below what the
    records ask for (one such record asked for 6.2 GB before the decoder checked dtypes)."""
    script = tmp_path / "grade.py"
    script.write_text(
        "import shutil, sys\n"
        "from pathlib import Path\n"
        "sys.path.insert(0, %r)\n"
        "from corpus_cases import corpus_cases\n"
        "from autograder.course import Course\n"
        "from autograder.pipeline.execute import Limits\n"
        "from autograder.pipeline.grade import grade_submission\n"
        "root = Path(%r)\n"
        "for part in ('source', 'release'):\n"
        "    shutil.copytree(Path(%r) / part / 'ps2', root / part / 'ps2')\n"
        "case = next(c for c in corpus_cases(root) if c.student == 't-hostile-records')\n"
        "folder = root / 'submitted' / case.student / 'ps2'\n"
        "folder.mkdir(parents=True)\n"
        "(folder / 'ps2.ipynb').write_bytes(case.files['ps2.ipynb'])\n"
        "result = grade_submission(Course(root), 'ps2', case.student, limits=Limits(cell_timeout=20))\n"
        "print(result.status, result.score, case.score)\n"
        "print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')))\n"
        % (str(ROOT / "tests" / "corpus"), str(tmp_path / "course"), str(ROOT)), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    status_line, peak_line = done.stdout.strip().splitlines()[-2:]
    status, score, expected = status_line.split()
    assert status == "graded" and float(score) == float(expected)
    peak_mib = int(peak_line) / 1024  # VmHWM, in kB: ru_maxrss would carry pytest's own peak over exec
    print("grading worker peak: %.0f MiB" % peak_mib)
    assert peak_mib < 400, "the grading worker peaked at %.0f MiB" % peak_mib


def test_a_notebook_that_used_up_its_processes_loses_its_leftover_children_not_the_check(monkeypatch):
    """Where fork is refused (the sandbox's process limit, reached by children the notebook
    left running), the probe ends the kernel's own children and tries once more."""
    sleeper = subprocess.Popen(["sleep", "300"])
    real_fork, calls = os.fork, []

    def refusing_once():
        calls.append(1)
        if len(calls) == 1:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        return real_fork()

    monkeypatch.setattr(os, "fork", refusing_once)
    try:
        cases = [{"call": "f", "args": []}]
        (record,) = _records("x.f", cases, {"f": lambda: 7})
        assert record["ok"] and record["value"] == 7 and len(calls) == 2
        assert sleeper.poll() is not None  # ended (and reaped) by the probe
    finally:
        if sleeper.poll() is None:
            sleeper.kill()
        monkeypatch.undo()
