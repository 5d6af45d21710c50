"""`convgrade lab` (what `make lab` and `make lab-student` run) and `LabServer`'s errors, without a
browser: the command prints a loopback URL with a token, serves it, and Ctrl-C leaves nothing."""
from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from autograder.classroom.lab import LabServer, free_loopback_port, prepare_student_workspace
from autograder.errors import ConvgradeError

CONVGRADE = Path(sys.executable).parent / "convgrade"
URL = re.compile(r"http://127\.0\.0\.1:(\d+)/lab\?token=([0-9a-f]{32,})")


def read_until(proc, pattern, timeout):
    """Read the process's stdout (in a thread, so a silent process cannot hang the test) until a
    line matches `pattern`; fails after `timeout` s."""
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        seen.append(line)
        if (match := pattern.search(line)):
            return match
    pytest.fail("`convgrade lab` never printed its URL; it printed:\n" + "".join(seen))


def listening(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def processes_with(text):
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.timeout(180)
def test_convgrade_lab_student_prints_a_token_url_serves_the_release_and_stops_on_ctrl_c(course_copy,
                                                                                        lab_environment):
    port = free_loopback_port()
    proc = subprocess.Popen([str(CONVGRADE), "--course", str(course_copy), "lab", "--student", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        match = read_until(proc, URL, timeout=120)
        assert int(match.group(1)) == port
        token = match.group(2)
        # the workspace is a copy of release/: the server lists ps2's released notebook
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/ps2?token={token}", timeout=30) as r:
            assert "ps2.ipynb" in r.read().decode()
        with pytest.raises(urllib.error.HTTPError) as denied:  # and nothing without the token
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/ps2", timeout=30)
        assert denied.value.code == 403
        assert (course_copy / "student-workspace" / "ps2" / "ps2.ipynb").is_file()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            for pid in processes_with(f"--ServerApp.port={port}"):
                os.kill(pid, signal.SIGKILL)
    assert not listening(port), "the server still answers after Ctrl-C"
    assert processes_with(f"--ServerApp.port={port}") == [], "the server outlived `convgrade lab`"


def test_not_a_course_is_a_clear_error(tmp_path):
    with pytest.raises(ConvgradeError, match=r"is not a course directory \(no source/ or release/\)"):
        LabServer(tmp_path)


def test_the_student_workspace_never_overwrites_a_students_work(course_copy):
    workspace = prepare_student_workspace(course_copy)
    notebook = workspace / "ps2" / "ps2.ipynb"
    notebook.write_text("my work")
    assert prepare_student_workspace(course_copy) == workspace
    assert notebook.read_text() == "my work"


@pytest.mark.timeout(120)
def test_a_port_in_use_is_a_clear_error_and_leaves_nothing_running(course_copy, lab_environment):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        lab = LabServer(course_copy, port=taken.getsockname()[1])
        with pytest.raises(ConvgradeError, match=r"JupyterLab exited with code \d+ while starting: .*"):
            lab.start()
    assert lab.leftover_processes() == []
    with pytest.raises(ProcessLookupError):
        os.killpg(lab.process.pid, 0)
