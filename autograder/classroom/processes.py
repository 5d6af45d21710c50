"""Ending what a classroom server started, and finding what is left of it.

:class:`autograder.classroom.lab.LabServer` (one JupyterLab) and
:class:`autograder.classroom.hub.Classroom` (JupyterHub, its proxy, everyone's servers)
stop the same way: SIGTERM to the process group they made, SIGKILL after a grace period,
then SIGKILL to whatever :func:`live_processes` still finds of them.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


def end_process_group(process, grace=15):
    """SIGTERM the process group led by ``process`` (a :class:`subprocess.Popen` started with
    ``start_new_session=True``), SIGKILL it after ``grace`` seconds; wait for the leader."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)
    except ProcessLookupError:
        pass


def kill_leftovers(find, seconds=10):
    """SIGKILL the ids ``find()`` returns until it returns none or ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while (left := find()) and time.monotonic() < deadline:
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)


def live_processes(belongs):
    """Sorted ids of live processes (zombies, which nothing can end, left out; this process too)
    for which ``belongs(pid, pgrp, proc_folder)`` is true."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            # /proc/PID/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses
            state, _ppid, pgrp = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:3]
            if state != "Z" and belongs(int(entry.name), int(pgrp), entry):
                found.append(int(entry.name))
        except (OSError, ValueError):
            continue  # ended meanwhile, or not ours to read
    return sorted(found)


def serve_until_interrupted(process, stopping):
    """Wait while ``process`` runs; on Ctrl-C print ``stopping`` and return True (the caller
    then stops it), or return False when it ended by itself."""
    try:
        while process.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        print(stopping, flush=True)
        return True
    return False
