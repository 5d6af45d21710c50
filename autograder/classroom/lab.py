"""JupyterLab for a course: the teacher's view (formgrader) or a student's (the release).

``convgrade lab`` starts JupyterLab on the course directory with nbgrader's extensions,
bound to loopback with a random token, and prints the URL. ``convgrade lab --student``
opens a student's workspace, a copy of ``release/`` (made once, never overwritten),
whose notebooks run in the students' kernel environment (``.venv-student``: no
``reference``, no ``autograder``), exactly as in grading.

Both modes keep the server offline: no news feed, no update check, no extension
manager that talks to a package index.

:class:`LabServer` starts and stops such a server as a context manager; the browser
tests use it, and ``convgrade lab`` runs one in the foreground.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from autograder.classroom.processes import (end_process_group, kill_leftovers, live_processes,
                                            serve_until_interrupted)
from autograder.course import Course
from autograder.errors import ConvgradeError

STUDENT_WORKSPACE = "student-workspace"
OFFLINE_SETTINGS = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}


def free_loopback_port():
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_student_workspace(course_root, workspace=None):
    """Copy each ``release/NAME`` into the workspace unless the student already has it."""
    course_root = Path(course_root)
    release = course_root / "release"
    if not release.is_dir():
        raise ConvgradeError(f"no release/ folder in {course_root}; run `convgrade release NAME` first")
    workspace = Path(workspace) if workspace else course_root / STUDENT_WORKSPACE
    workspace.mkdir(parents=True, exist_ok=True)
    for assignment in sorted(p for p in release.iterdir() if p.is_dir()):
        target = workspace / assignment.name
        if not target.exists():  # never overwrite a student's work
            shutil.copytree(assignment, target)
    return workspace


def _end_with_parent():
    """In the server's process, before exec: SIGTERM it when the process that started it dies
    (Linux), so a killed ``convgrade lab`` or test run does not leave a server behind."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the server outlives a killed parent, as any child would


def _runtime_dir(course, student):
    """Config and kernel specs for a server of ``course`` (a :class:`Course`), in a fresh temporary folder."""
    runtime = Path(tempfile.mkdtemp(prefix="convgrade-lab-"))
    config = runtime / "config"
    config.mkdir()
    # The course's nbgrader configuration as every convgrade command sees it (course overrides, --db).
    (config / "nbgrader_config.json").write_text(json.dumps(course.nbgrader_config(), indent=1))
    # Lab's own notification centre asks to fetch news from the web unless told never to.
    labconfig = config / "labconfig"
    labconfig.mkdir()
    (labconfig / "default_setting_overrides.json").write_text(json.dumps(OFFLINE_SETTINGS))
    (runtime / "runtime").mkdir()  # connection files of the server and its kernels
    data = runtime / "data"
    if student:
        # A kernel spec named python3 earlier on JUPYTER_PATH shadows the server's own.
        spec = data / "kernels" / "python3"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [str(course.student_python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (student)", "language": "python"}))
    else:
        data.mkdir()
    return runtime


class LabServer:
    """A JupyterLab server on loopback, started by ``with LabServer(...) as lab:``.

    Parameters
    ----------
    course_root : path
        The course directory (it holds ``source/`` or ``release/``).
    student : bool
        Serve a student's workspace (a copy of ``release/``, ``workspace`` or
        ``COURSE/student-workspace``) with kernels from ``.venv-student``; otherwise the
        course itself, with formgrader at ``base_url + "/formgrader"``.
    port : int, optional
        Default: a free port on 127.0.0.1.
    db_url : str, optional
        The gradebook formgrader uses (default: the course's ``gradebook.db``), as ``--db``.

    Attributes ``url`` (with the token), ``base_url``, ``token`` and ``root_dir`` are set
    at once; ``process``, ``runtime_dir`` (config, kernel specs, connection files and
    ``server.log``, removed on stop) once started. Stopping ends the server, its process
    group and any kernel it left; :meth:`leftover_processes` lists what is still alive.
    """

    def __init__(self, course_root, *, student=False, port=None, workspace=None, db_url=None, startup_timeout=90):
        self.course = Course(course_root, db_url=db_url)
        self.course_root = self.course.root
        if not (self.course_root / "source").is_dir() and not (self.course_root / "release").is_dir():
            raise ConvgradeError(f"{self.course_root} is not a course directory (no source/ or release/)")
        self.student = student
        self.port = port or free_loopback_port()
        self.token = secrets.token_hex(24)
        self.startup_timeout = startup_timeout
        self.root_dir = (prepare_student_workspace(self.course_root, workspace) if student
                         else self.course_root)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base_url}/lab?token={self.token}"
        self.process = None
        self._runtime = None
        self.runtime_dir = None  # kept after stop(), so leftover_processes() still finds kernels
        self.log_path = None

    def command(self):
        return [sys.executable, "-m", "jupyterlab",
                "--no-browser", "--allow-root",
                "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root_dir}",
                "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--LabApp.extension_manager=readonly"]

    def environment(self):
        env = dict(os.environ)
        env["JUPYTER_CONFIG_PATH"] = str(self._runtime / "config")
        env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(self._runtime / "data"), env.get("JUPYTER_PATH")]))
        # Kernels' connection files land here: stop() finds any kernel the server left behind by this path.
        env["JUPYTER_RUNTIME_DIR"] = str(self._runtime / "runtime")
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def start(self):
        """Start the server and wait until it answers; on any failure nothing is left running."""
        self._runtime = _runtime_dir(self.course, self.student)
        self.runtime_dir = self._runtime
        self.log_path = self._runtime / "server.log"
        try:
            with open(self.log_path, "wb") as log:
                self.process = subprocess.Popen(self.command(), cwd=self.root_dir, env=self.environment(),
                                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                                preexec_fn=_end_with_parent)
            self._wait_until_ready()
        except BaseException:  # Ctrl-C while starting, too
            self.stop()
            raise
        return self

    def _wait_until_ready(self):
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ConvgradeError(f"JupyterLab exited with code {self.process.returncode} while starting: "
                                     f"{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/api/status?token={self.token}", timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        raise ConvgradeError(f"JupyterLab did not answer on {self.base_url} within {self.startup_timeout} s: "
                             f"{self.log_tail()}")

    def log_tail(self, chars=1500):
        """The end of the server's log (empty once stopped: the log lives in the runtime folder)."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except (OSError, AttributeError):
            return ""

    def stop(self):
        """End the server (SIGTERM, then SIGKILL after 15 s), its process group and its kernels."""
        end_process_group(self.process)
        # Kernels run in sessions of their own; the server shuts them down on SIGTERM, but not when killed.
        kill_leftovers(self.leftover_processes)
        if self._runtime is not None:
            shutil.rmtree(self._runtime, ignore_errors=True)
            self._runtime = None

    def leftover_processes(self):
        """Ids of live processes of this server: its process group, and kernels started with its
        runtime folder (their connection files are there). Zombies, which nothing can end, are left out."""
        if self.process is None:
            return []
        marker = str(self.runtime_dir).encode() if self.runtime_dir else None
        return live_processes(lambda pid, pgrp, proc: pgrp == self.process.pid
                              or bool(marker and marker in (proc / "cmdline").read_bytes()))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def run_lab(course_root, *, student=False, port=None, db_url=None):
    """``convgrade lab``: start the server, print the URL, serve until Ctrl-C (exit status 0)."""
    server = LabServer(course_root, student=student, port=port, db_url=db_url)
    with server:
        if student:
            print(f"JupyterLab, student view of release/ (workspace {server.root_dir}), on loopback only:\n"
                  f"  {server.url}", flush=True)
        else:
            print(f"JupyterLab, teacher view of {server.course_root}, on loopback only:\n  {server.url}\n"
                  f"formgrader:\n  {server.base_url}/formgrader?token={server.token}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        if serve_until_interrupted(server.process, "stopping JupyterLab"):
            return 0
        crashed = f"JupyterLab stopped by itself (exit code {server.process.returncode}): {server.log_tail()}"
    raise ConvgradeError(crashed)
