"""The sandbox (`autograder.isolation.sandbox`, `autograder.pipeline.execute`): each protection of issue 4
has a test here that fails without it.

Most attacks run as cells of one notebook in one real sandboxed kernel (the `attack`
fixture); each cell records what it managed to do in `findings.jsonl` in its working
directory, which the tests read after the run. Attacks that end the kernel or the run
(crashes, time-outs, CPU limit) get a small notebook each.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import socket
import subprocess
import sys
import signal
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import pytest

from autograder.isolation import disk_watch, sandbox
from autograder.isolation.sandbox import SandboxUnavailable
from autograder.isolation.scratch import processes_naming, remove_tree
from autograder.pipeline.execute import ExecutionResult, Limits, execute_notebook

ROOT = Path(__file__).resolve().parents[2]
STUDENT_PYTHON = ROOT / ".venv-student" / "bin" / "python"

pytestmark = pytest.mark.skipif(not STUDENT_PYTHON.exists(),
                                reason="no students' environment (.venv-student): run `make install`")

# Defines record(name, fn): run fn, append its value or its exception to findings.jsonl.
PROLOGUE = '''
import json, os, sys, time
def record(name, fn):
    try:
        out = {"ok": True, "value": fn()}
    except BaseException as exc:
        out = {"ok": False, "error": type(exc).__name__, "message": str(exc)[:300]}
    with open("findings.jsonl", "a") as fh:
        fh.write(json.dumps({"name": name, **out}, default=repr) + "\\n")
'''


def notebook(*sources):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def run(workdir, *sources, limits=None, env=None, **kwargs) -> ExecutionResult:
    return execute_notebook(notebook(PROLOGUE, *sources), workdir, env=env or {},
                            limits=limits or Limits(), kernel_python=STUDENT_PYTHON, **kwargs)


def findings(workdir):
    path = Path(workdir) / "findings.jsonl"
    if not path.exists():
        return {}
    return {r["name"]: r for r in map(json.loads, path.read_text().splitlines())}


def sandbox_uid(result):
    for protection in result.protections:
        found = re.fullmatch(r"unprivileged uid per notebook \((\d+)\)", protection)
        if found:
            return int(found.group(1))
    raise AssertionError("no per-notebook uid in %r" % result.protections)


def processes_with(marker):
    """Host pids whose command line contains ``marker``."""
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open("/proc/%s/cmdline" % entry.name, "rb") as fh:
                    if marker.encode() in fh.read():
                        pids.append(int(entry.name))
            except OSError:
                pass
    return pids


@pytest.fixture(scope="module")
def bubblewrap():
    support = sandbox.probe()
    assert support.bubblewrap, "bubblewrap is unusable here (%s); `make install` provides it" % (support.missing,)
    return support


@pytest.fixture(scope="module")
def attack(tmp_path_factory, bubblewrap):
    """One sandboxed run of a notebook of attacks, with a fake course beside it."""
    base = tmp_path_factory.mktemp("attack")
    course = base / "course"
    (course / "source" / "ps2").mkdir(parents=True)
    (course / "gradebook.db").write_text("GRADEBOOK")
    (course / "source" / "ps2" / "ps2.ipynb").write_text("HIDDEN TESTS")
    workdir = base / "work"
    workdir.mkdir()
    (workdir / "plan.json").write_text('{"checks": {}}')
    (workdir / "plan.json").chmod(0o600)  # as a grader with umask 077 would leave it
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    marker = "%d.%d" % (1000 + os.getpid() % 1000, threading.get_ident() % 100000)
    os.environ["CONVGRADE_TEST_GRADER_SECRET"] = "grader-only"
    limit = 8 * 1024 * 1024
    cells = [
        # identity
        "record('ids', lambda: [os.getuid(), os.geteuid(), os.getgid(), os.getegid(), os.getgroups()])\n"
        "record('caps', lambda: [l.split()[1] for l in open('/proc/self/status') if l.startswith('CapEff')][0])",
        # network
        "import socket\n"
        "record('connect_grader_listener', lambda: socket.create_connection(('127.0.0.1', %d), timeout=3).close())\n"
        "record('interfaces', lambda: [name for _, name in socket.if_nameindex()])\n"
        "record('hostname', socket.gethostname)" % port,
        # the course, the repository, the grader's environment
        "course = %r\n"
        "record('read_gradebook', lambda: open(course + '/gradebook.db').read())\n"
        "record('read_source', lambda: open(course + '/source/ps2/ps2.ipynb').read())\n"
        "record('list_course', lambda: os.listdir(course))\n"
        "record('read_repo_checks', lambda: open(%r).read()[:50])\n"
        "record('write_gradebook', lambda: open(course + '/gradebook.db', 'w').write('HACKED'))\n"
        "record('write_root', lambda: open('/pwned', 'w').write('x'))\n"
        "record('write_python', lambda: open(sys.prefix + '/pwned', 'w').write('x'))\n"
        "record('proc1_root', lambda: os.listdir('/proc/1/root/'))\n"
        "record('write_workdir', lambda: open('mine.txt', 'w').write('ok'))\n"
        "record('link_results', lambda: os.symlink('/dev/zero', 'results.jsonl'))\n"
        "record('fifo', lambda: os.mkfifo('fifo'))\n"
        "record('cwd', lambda: [os.getcwd(), sorted(os.listdir('.'))])"
        % (str(course), str(ROOT / "autograder" / "checks" / "__init__.py")),
        # the answers' packages
        "record('import_reference', lambda: __import__('reference').__file__)\n"
        "record('import_autograder', lambda: __import__('autograder').__file__)\n"
        "record('import_numpy', lambda: __import__('numpy').__version__)",
        # environment
        "record('env', lambda: {k: os.environ.get(k) for k in ('CONVGRADE_PLAN', 'HOME', 'OPENBLAS_NUM_THREADS',"
        " 'CONVGRADE_TEST_GRADER_SECRET')})\n"
        "record('plan', lambda: json.load(open(os.environ['CONVGRADE_PLAN'])))",
        # memory
        "record('memory_bomb', lambda: len(bytearray(3 * 2**30)))\n"
        "import numpy as np\n"
        "record('numpy_bomb', lambda: np.ones((2**30 // 8) * 3).nbytes)\n"
        "record('after_memory', lambda: 'alive')",
        # a bounded fork bomb: a broken sandbox must not take the machine down
        "def forks():\n"
        "    children, error = [], None\n"
        "    try:\n"
        "        for _ in range(500):\n"
        "            pid = os.fork()\n"
        "            if pid == 0:\n"
        "                time.sleep(120); os._exit(0)\n"
        "            children.append(pid)\n"
        "    except OSError as exc:\n"
        "        error = type(exc).__name__\n"
        "    for pid in children:\n"
        "        os.kill(pid, 9); os.waitpid(pid, 0)\n"
        "    return [len(children), error]\n"
        "record('fork_bomb', forks)",
        # processes meant to outlive grading
        "import subprocess, threading\n"
        "record('popen', lambda: subprocess.Popen(['sleep', '%s1'], start_new_session=True).pid)\n"
        "record('shell_background', lambda: os.system('sleep %s2 &'))\n"
        "def daemonize():\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        os.setsid()\n"
        "        if os.fork() == 0:\n"
        "            os.execv('/bin/sleep', ['sleep', '%s3'])\n"
        "        os._exit(0)\n"
        "    os.waitpid(pid, 0)\n"
        "    return 'daemon started'\n"
        "record('double_fork', daemonize)\n"
        "threading.Thread(target=time.sleep, args=(1000,), daemon=True).start()" % (marker, marker, marker),
        # file size and the private tmpfs mounts
        "record('big_file', lambda: open('big.bin', 'wb').write(b'x' * %d))\n"
        "def fill(folder):\n"
        "    written = 0\n"
        "    for i in range(20):\n"
        "        with open('%%s/fill%%d' %% (folder, i), 'wb') as fh:\n"
        "            written += fh.write(b'x' * 1024 * 1024)\n"
        "    return written\n"
        "record('fill_tmp', lambda: fill('/tmp'))\n"
        "record('fill_home', lambda: fill(os.environ['HOME']))" % (2 * limit),
        # the PID namespace
        "record('pids', lambda: sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))\n"
        "record('grader_pid', lambda: open('/proc/%d/cmdline').read())" % os.getpid(),
        # a correct solution that warns on stderr
        "import warnings\n"
        "warnings.warn('careful: this is deprecated')\n"
        "print('to stderr', file=sys.stderr)\n"
        "print('result 42')",
        # output past the cap, in messages small enough to be received (the last one cut)...
        "for _ in range(3):\n    sys.stdout.write('w' * 600_000); sys.stdout.flush(); time.sleep(0.3)",
        # ...and 100 MB of prints, which ipykernel batches into messages over the cap
        "for _ in range(100):\n    sys.stdout.write('y' * 1_000_000)",
        "record('end', lambda: 'reached')",
    ]
    try:
        result = run(workdir, *cells, limits=Limits(max_file_bytes=limit),
                     env={"CONVGRADE_PLAN": str(workdir / "plan.json")})
    finally:
        listener.close()
        del os.environ["CONVGRADE_TEST_GRADER_SECRET"]
    return {"result": result, "found": findings(workdir), "course": course, "marker": marker,
            "workdir": workdir, "limit": limit}


def test_attack_notebook_ran_to_the_end(attack):
    result, found = attack["result"], attack["found"]
    assert result.status == "ok", result.detail
    assert found["end"]["value"] == "reached"
    assert "bubblewrap" in result.protections and "no-network" in result.protections


def test_kernel_runs_as_an_unprivileged_uid_without_capabilities(attack):
    uid, euid, gid, egid, groups = attack["found"]["ids"]["value"]
    assert uid != 0 and euid != 0 and gid != 0 and egid != 0 and 0 not in groups
    assert uid == sandbox_uid(attack["result"])
    assert int(attack["found"]["caps"]["value"], 16) == 0


def test_no_network_not_even_the_graders_loopback(attack):
    found = attack["found"]
    assert not found["connect_grader_listener"]["ok"]
    assert found["connect_grader_listener"]["error"] in ("ConnectionRefusedError", "OSError", "TimeoutError")
    assert found["interfaces"]["value"] == ["lo"]
    assert found["hostname"]["value"] == "convgrade" != socket.gethostname()


def test_course_files_are_invisible_and_unwritable(attack):
    found, course = attack["found"], attack["course"]
    for name in ("read_gradebook", "read_source", "list_course", "read_repo_checks", "write_gradebook",
                 "write_root", "write_python", "proc1_root"):
        assert not found[name]["ok"], (name, found[name])
    assert found["read_gradebook"]["error"] == "FileNotFoundError"
    assert (course / "gradebook.db").read_text() == "GRADEBOOK"
    assert found["write_workdir"]["ok"] and (attack["workdir"] / "mine.txt").read_text() == "ok"
    cwd, listing = found["cwd"]["value"]
    assert cwd == sandbox.SANDBOX_WORKDIR
    assert set(listing) <= {"plan.json", "findings.jsonl", "mine.txt", "results.jsonl", "fifo"}


def test_traps_for_the_grader_are_removed_from_the_workdir(attack):
    found, workdir = attack["found"], attack["workdir"]
    assert found["link_results"]["ok"] and found["fifo"]["ok"]  # made inside...
    assert not os.path.lexists(workdir / "results.jsonl")  # ...gone before the grader reads
    assert not os.path.lexists(workdir / "fifo")


def test_reference_and_autograder_cannot_be_imported(attack):
    found = attack["found"]
    assert found["import_reference"]["error"] == "ModuleNotFoundError"
    assert found["import_autograder"]["error"] == "ModuleNotFoundError"
    assert found["import_numpy"]["ok"]


def test_environment_is_minimal_and_paths_are_translated(attack):
    env = attack["found"]["env"]["value"]
    assert env["CONVGRADE_PLAN"] == sandbox.SANDBOX_WORKDIR + "/plan.json"
    assert env["HOME"] == sandbox.SANDBOX_HOME and env["OPENBLAS_NUM_THREADS"] == "1"
    assert env["CONVGRADE_TEST_GRADER_SECRET"] is None
    assert attack["found"]["plan"]["value"] == {"checks": {}}


def test_memory_bomb_fails_in_the_cell_and_the_kernel_survives(attack):
    found = attack["found"]
    assert found["memory_bomb"]["error"] == "MemoryError"
    assert found["numpy_bomb"]["error"] in ("MemoryError", "_ArrayMemoryError")
    assert found["after_memory"]["value"] == "alive"


def test_fork_bomb_is_bounded_by_the_process_limit(attack):
    forked, error = attack["found"]["fork_bomb"]["value"]
    assert forked < Limits().max_processes and error == "BlockingIOError"


def test_file_size_and_tmpfs_are_limited(attack):
    found, limit = attack["found"], attack["limit"]
    assert found["big_file"]["error"] == "OSError" and "too large" in found["big_file"]["message"].lower()
    assert not (attack["workdir"] / "big.bin").exists() or (attack["workdir"] / "big.bin").stat().st_size <= limit
    for name in ("fill_tmp", "fill_home"):
        assert found[name]["error"] == "OSError", found[name]
        assert "No space left" in found[name]["message"]


def test_pid_namespace_hides_the_grader(attack):
    found = attack["found"]
    assert len(found["pids"]["value"]) < 10
    assert not found["grader_pid"]["ok"] or "pytest" not in found["grader_pid"]["value"]


def test_no_process_outlives_the_notebook(attack):
    marker = attack["marker"]
    assert attack["found"]["popen"]["ok"] and attack["found"]["double_fork"]["ok"]
    for suffix in "123":
        assert processes_with("sleep\0%s%s" % (marker, suffix)) == []
    assert sandbox._processes_of(sandbox_uid(attack["result"])) == []


def test_stderr_warning_keeps_the_cells_outputs_normal(attack):
    cell = next(c for c in attack["result"].notebook.cells if "careful: this is deprecated" in c.source)
    kinds = [(o.output_type, o.get("name")) for o in cell.outputs]
    assert ("stream", "stdout") in kinds and ("stream", "stderr") in kinds
    assert "error" not in [k for k, _ in kinds]
    assert "result 42" in "".join(o.text for o in cell.outputs if o.get("name") == "stdout")


def test_output_flood_is_capped_with_a_note(attack):
    nb, cap = attack["result"].notebook, Limits().max_output_bytes
    total = sum(len(json.dumps(o)) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert total < cap + 10_000
    cut = next(c for c in nb.cells if "600_000" in c.source)
    kept = "".join(o.text for o in cut.outputs if o.get("name") == "stdout")
    assert set(kept) == {"w"} and 600_000 < len(kept) <= cap
    assert "bytes of output dropped" in cut.outputs[-1].text
    flood = next(c for c in nb.cells if "1_000_000" in c.source)
    assert flood.outputs[-1].text.startswith("[convgrade]") and "dropped" in flood.outputs[-1].text
    assert attack["found"]["end"]["value"] == "reached"


# Runs in a fresh interpreter so that its peak memory is this run's alone.
OVERSIZED = r"""
import json, sys, tempfile
from pathlib import Path
import nbformat
from autograder.pipeline.execute import execute_notebook
cells = ["print('before')", "import sys; sys.stdout.write('y' * 100_000_000)", "print('after')",
         "raise ValueError('x' * 5_000_000)", "print('never')"]
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
r = execute_notebook(nb, Path(tempfile.mkdtemp()), env={}, kernel_python=Path(sys.argv[1]))
# VmHWM is this address space's own peak; ru_maxrss would carry over the forking parent's (pytest's) peak
peak_kib = int(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")))
print(json.dumps({"status": r.status, "detail": r.detail, "peak_mib": peak_kib // 1024,
                  "outputs": [[o.get("text", "") for o in c.outputs] for c in r.notebook.cells]}))
"""


def test_oversized_messages_cannot_exhaust_the_graders_memory(bubblewrap):
    done = subprocess.run([sys.executable, "-c", OVERSIZED, str(STUDENT_PYTHON)], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["peak_mib"] < 200  # a 100 MB message held and decoded would need 300+
    outputs = report["outputs"]
    assert outputs[0] == ["before\n"] and outputs[2] == ["after\n"]
    assert "larger than the output cap" in outputs[1][-1]
    assert report["status"] == "crashed" and "reply larger than" in report["detail"]
    assert "cell 4" in report["detail"] and outputs[4] == []


def test_a_kernel_that_cannot_start_is_an_error_with_its_reason(tmp_path, bubblewrap):
    result = run(tmp_path, "1", env={"PYTHONHOME": "/nonexistent"})
    assert result.status == "error"
    assert "could not start" in result.detail and "encodings" in result.detail  # Python's own complaint
    assert result.seconds < 30


@pytest.mark.parametrize("crash, status", [
    ("os._exit(0)", "crashed"),
    ("import ctypes; ctypes.string_at(0)", "crashed"),
    ("raise SystemExit(3)", "ok"),
])
def test_crashes_keep_the_results_before_them(tmp_path, bubblewrap, crash, status):
    result = run(tmp_path, "record('before', lambda: 1)\nprint('before')", crash, "record('after', lambda: 2)")
    found = findings(tmp_path)
    assert result.status == status, result.detail
    assert found["before"]["value"] == 1
    assert result.notebook.cells[1].outputs[0].text == "before\n"
    if status == "crashed":
        assert "after" not in found and "cell 3" in result.detail
        if "ctypes" in crash:
            assert "SIGSEGV" in result.detail
    else:
        assert result.notebook.cells[2].outputs[0].ename == "SystemExit" and found["after"]["value"] == 2
    assert sandbox._processes_of(sandbox_uid(result)) == []


def test_infinite_loop_times_out_even_ignoring_interrupts(tmp_path, bubblewrap):
    result = run(tmp_path, "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN)\nrecord('before', lambda: 1)",
                 "while True: pass", "record('after', lambda: 2)", limits=Limits(cell_timeout=2))
    assert result.status == "timeout" and "cell 3" in result.detail and "per cell" in result.detail
    assert result.seconds < 15
    assert set(findings(tmp_path)) == {"before"}
    assert sandbox._processes_of(sandbox_uid(result)) == []


def test_sleeping_past_the_notebook_deadline_times_out(tmp_path, bubblewrap):
    result = run(tmp_path, *["time.sleep(1)"] * 10, limits=Limits(notebook_timeout=3))
    assert result.status == "timeout" and "notebook" in result.detail
    assert 3 <= result.seconds < 10


# many files, each under the size limit, into every folder the kernel shares with the grader's disk
FILL_DISK = ("import itertools\n"
             "folders = ['.', os.path.dirname(os.environ['MPLCONFIGDIR'])]\n"
             "for i in itertools.count():\n"
             "    with open('%s/many%d.bin' % (folders[i % 2], i), 'wb') as fh:\n"
             "        fh.write(os.urandom(1024 * 1024))")


def test_many_small_files_cannot_fill_the_graders_disk(tmp_path, bubblewrap):
    (tmp_path / "data.bin").write_bytes(os.urandom(3 * 1024 * 1024))  # there before: not counted
    limits = Limits(max_disk_bytes=8 * 1024 ** 2, max_file_bytes=2 * 1024 ** 2, cell_timeout=60)
    result = run(tmp_path, "record('before', lambda: 1)", FILL_DISK, "record('after', lambda: 2)", limits=limits)
    assert result.status == "crashed", (result.status, result.detail)
    assert "cell 3" in result.detail and "8MiB it may add to its folders on disk" in result.detail, result.detail
    assert result.seconds < 30  # stopped by the cap, not by the cell's 60 s
    assert set(findings(tmp_path)) == {"before"}
    written = sum(p.stat().st_size for p in tmp_path.glob("many*.bin"))
    assert 0 < written < 64 * 1024 ** 2  # a few intervals' worth past the cap at most
    assert "disk-cap 8MiB" in result.protections
    assert sandbox._processes_of(sandbox_uid(result)) == []


def test_disk_use_counts_blocks_and_entries_without_following_links(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 100_000)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").write_bytes(b"y" * 50_000)
    with open(tmp_path / "sparse", "wb") as fh:  # 1 GB long, nothing in it
        fh.truncate(10 ** 9)
    (tmp_path / "link").symlink_to("/usr")
    used, entries = disk_watch.disk_use([tmp_path], max_entries=100)
    expected = sum(os.lstat(p).st_blocks * 512 for p in [tmp_path / "a", tmp_path / "sub", tmp_path / "sub" / "b",
                                                           tmp_path / "sparse", tmp_path / "link"])
    assert (used, entries) == (expected, 5)
    assert 150_000 <= used < 10 ** 7
    assert disk_watch.disk_use([tmp_path], max_entries=2)[1] > 2


def test_cpu_time_limit_ends_the_kernel(tmp_path, bubblewrap):
    result = run(tmp_path, "while True: pass", limits=Limits(cpu_seconds=1, cell_timeout=25))
    assert result.status == "crashed" and "SIGXCPU" in result.detail
    assert result.seconds < 15


def test_parallel_runs_get_separate_uids(tmp_path, bubblewrap):
    results = {}

    def one(name):
        (tmp_path / name).mkdir()
        results[name] = run(tmp_path / name, "record('uid', lambda: os.getuid())")

    threads = [threading.Thread(target=one, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    uids = {n: findings(tmp_path / n)["uid"]["value"] for n in results}
    assert all(r.status == "ok" for r in results.values())
    assert uids["a"] != uids["b"] and uids["a"] == sandbox_uid(results["a"])


@pytest.fixture
def no_bubblewrap(monkeypatch):
    monkeypatch.setattr(sandbox, "BWRAP", None)
    sandbox.probe.cache_clear()
    yield
    monkeypatch.undo()
    sandbox.probe.cache_clear()


def test_without_bubblewrap_the_fallback_says_so(tmp_path, no_bubblewrap, caplog):
    caplog.set_level(logging.WARNING, logger="autograder.isolation.sandbox")
    protections = sandbox.active_protections()
    assert "bubblewrap" not in protections
    assert any("bubblewrap" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    marker = "%d.77" % (2000 + os.getpid() % 1000)
    result = run(tmp_path, "record('uid', lambda: os.getuid())",
                 "import subprocess; subprocess.Popen(['sleep', '%s'], start_new_session=True)" % marker)
    assert result.status == "ok" and "bubblewrap" not in result.protections
    assert any("no bubblewrap" in p for p in result.protections)
    uid = findings(tmp_path)["uid"]["value"]
    if uid == os.geteuid():  # e.g. the students' Python lies under /root: said, not hidden
        assert "uid %d (the grader's own)" % uid in result.protections
        assert any("the kernel runs as the grader's uid" in r.getMessage() for r in caplog.records)
    else:
        assert uid == sandbox_uid(result)
    assert processes_with("sleep\0" + marker) == []
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        run(tmp_path, "1", require_sandbox=True)


@pytest.mark.parametrize("field, value", [("cell_timeout", 0), ("max_processes", 2.5), ("memory_bytes", "2G"),
                                          ("max_output_bytes", True)])
def test_limits_reject_bad_values_naming_them(field, value):
    with pytest.raises(ValueError, match=r"Limits: %s must be .*got %r" % (field, value)):
        Limits(**{field: value})


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(ValueError, match="kernel_python"):
        execute_notebook(notebook("1"), tmp_path, env={}, kernel_python=tmp_path / "python")
    with pytest.raises(ValueError, match="workdir"):
        execute_notebook(notebook("1"), tmp_path / "missing", env={}, kernel_python=STUDENT_PYTHON)


DIES_WITH_PARENT = r"""
import subprocess, sys, time
from autograder.isolation.sandbox import die_with_parent
child = subprocess.Popen(["sleep", "120"], start_new_session=True, preexec_fn=die_with_parent())
print(child.pid, flush=True)
time.sleep(120)
"""


def test_a_kernel_launch_dies_with_the_grader_even_in_its_own_session():
    """A grader killed hard (SIGKILL, no clean-up) takes what it launched with it, although
    the launch is in a session of its own, out of reach of a process-group kill."""
    grader = subprocess.Popen([sys.executable, "-c", DIES_WITH_PARENT], stdout=subprocess.PIPE, text=True,
                              cwd=ROOT)
    child = int(grader.stdout.readline())
    try:
        os.kill(child, 0)  # it runs
        grader.kill()
        grader.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(child):
            time.sleep(0.1)
        assert not _alive(child), "the launched process outlived the killed grader"
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)


KILLED_DURING_LAUNCH = r"""
import asyncio, os, sys
import jupyter_client.launcher
from autograder.isolation.sandbox import Sandbox
from autograder.pipeline.execute import Limits, _SandboxKernelManager
workdir, kernel_python, kernel_log, when = sys.argv[1:]

real_popen = jupyter_client.launcher.Popen
def popen_then_die(*args, **kwargs):  # jupyter_client's own launch, then a grader killed outright
    real_popen(*args, **kwargs)  # returns once the guard is exec'd, before bubblewrap's set-up
    print(box.runtime, flush=True)
    os._exit(0)  # no clean-up runs
if when == "launched":
    jupyter_client.launcher.Popen = popen_then_die

async def start():
    km = _SandboxKernelManager(box, {}, open(kernel_log, "wb"))
    await km.start_kernel()
    client = km.client()
    client.start_channels()
    await client.wait_for_ready(timeout=60)
    print(box.runtime, flush=True)
    os._exit(0)

box = Sandbox(workdir, kernel_python, Limits()).__enter__()
asyncio.run(start())
"""


def _naming(path):
    """Live processes whose command line names a path inside ``path``."""
    return [pid for pid in processes_naming(path) if _alive(pid)]


def test_a_grader_killed_while_bubblewrap_sets_up_leaves_no_sandbox_running(tmp_path, bubblewrap):
    """bubblewrap arms its --die-with-parent only after its own set-up: a grader gone at
    the moment a launch returns left the namespace's init, then the kernel, running for
    good (4 or 5 of these 8 attempts without the launch guard). Now nothing of any survives;
    the first attempt, killed once its kernel answered, shows the same launch works."""
    left = {}
    # the killed graders cannot remove their sandboxes' runtime folders: keep them in ours
    scratch_dir = tempfile.mkdtemp(prefix="cgt-")
    env = dict(os.environ, TMPDIR=scratch_dir)
    try:
        for attempt, when in enumerate(["ready"] + ["launched"] * 8):
            workdir = tmp_path / ("w%d" % attempt)
            workdir.mkdir()
            grader = subprocess.run([sys.executable, "-c", KILLED_DURING_LAUNCH, str(workdir), str(STUDENT_PYTHON),
                                     str(tmp_path / ("kernel%d.log" % attempt)), when],
                                    cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
            runtime = grader.stdout.strip()
            assert runtime.startswith(scratch_dir + "/"), "%s: %s" % (when, grader.stderr[-2000:])
            deadline = time.monotonic() + 10
            survivors = _naming(runtime)
            while survivors and time.monotonic() < deadline:
                time.sleep(0.1)
                survivors = _naming(runtime)
            if survivors:
                left["%d (%s)" % (attempt, when)] = survivors
                for pid in survivors:
                    os.kill(pid, signal.SIGKILL)
    finally:
        assert remove_tree(scratch_dir)
    assert not left, "sandboxes outlived their killed grader (attempt: pids): %s" % left

def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"  # a zombie has already died
    except FileNotFoundError:
        return False


class _Channel:
    """A client channel that always holds the next of ``messages`` (the last one for ever)."""

    def __init__(self, *messages):
        self.messages = list(messages)

    async def get_msg(self, timeout=None):
        await asyncio.sleep(0)  # as a real channel does: a client that never stops reading times out
        return self.messages.pop(0) if len(self.messages) > 1 else self.messages[0]


def test_the_kernel_is_ready_once_it_answered_without_waiting_for_iopub_silence():
    """jupyter_client's readiness check reads IOPub until it has been silent for 0.2 s: every
    notebook waited 200 ms for nothing (issue 14). The sandbox's client is ready as soon as
    the kernel answered ``kernel_info`` and IOPub delivered a message, even if IOPub never
    goes quiet, and keeps the reply for the notebook's ``language_info``."""
    from autograder.pipeline.execute import _ReadyClient

    reply = {"msg_type": "kernel_info_reply",
             "content": {"protocol_version": "5.4", "language_info": {"name": "python"}}}
    client = _ReadyClient()
    client.kernel_info = lambda: None
    client._shell_channel = _Channel(reply)
    client._iopub_channel = _Channel({"msg_type": "iopub_welcome"}, {"msg_type": "status"})
    asyncio.run(asyncio.wait_for(client.wait_for_ready(timeout=5), timeout=5))
    assert client.kernel_info_reply is reply
