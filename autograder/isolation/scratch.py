"""The scratch folder of a grading run, and how it is removed.

Everything a local run writes outside the course (each notebook's working copy, each
sandbox's runtime folder) goes under one folder, ``$TMPDIR/convgrade-run-XXXXXXXX/``,
with one sub-folder per worker process (``w1/``, ``w2/``...: the worker sets
:data:`tempfile.tempdir` to it). So nothing is left behind whatever happens:

- a notebook's folder is removed by the worker when the notebook is graded
  (:func:`remove_tree`, which retries while the sandbox's last processes finish dying);
- a worker that dies (the OOM killer, a signal) cannot clean up: its coordinator
  removes the worker's folder when it replaces it;
- the coordinator removes the run's folder when the run ends;
- a run killed outright (``SIGKILL`` of the whole process group) leaves its folder; the
  next run on the machine removes it (:func:`sweep_stale`), once the process named in
  its ``owner.json`` is gone (a folder made in another PID namespace, say another
  container sharing the temporary directory, is left alone: its owner cannot be seen).
  Processes that still name a path in that folder (a sandbox whose launch guard a
  student's code disabled, a process that left the sandbox's process group where there
  is no bubblewrap) are SIGKILLed first: the folder's random name is the run's alone.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

PREFIX = "convgrade-run-"
OWNER = "owner.json"
#: A run folder without a readable owner file is left alone for this long (its run may
#: be writing the file right now).
UNOWNED_GRACE = 300.0


def remove_tree(path, attempts=5, pause=0.2):
    """Remove the folder ``path`` and everything in it; True when it is gone.

    A sandbox's processes are SIGKILLed before this runs, but one in the middle of a
    file-system call finishes that call first, so a first pass can meet a folder that
    just got a new entry: try again a few times, then log what is still there."""
    path = Path(path)
    error = None
    for attempt in range(attempts):
        if not os.path.lexists(path):
            return True
        failures = []
        _rmtree(path, lambda function, name, exc: failures.append((name, exc)))
        if not os.path.lexists(path):
            return True
        error = failures[0] if failures else (str(path), OSError("still present"))
        time.sleep(pause * (attempt + 1))
    log.error("could not remove %s: %s: %s", path, error[0], error[1])
    return False


def _rmtree(path, on_failure):
    """``shutil.rmtree`` calling ``on_failure(function, name, exception)`` for what it
    cannot remove (Python 3.12 renamed the hook and passes the exception itself)."""
    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=on_failure)
    else:
        shutil.rmtree(path, onerror=lambda function, name, info: on_failure(function, name, info[1]))


def _start_time(pid):
    """The start time of process ``pid`` in clock ticks since boot (``/proc/PID/stat``
    field 22), which tells a live owner from a later process that got the same pid;
    None when there is no such process."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    return int(stat[stat.rfind(b")") + 2:].split()[19])


def _read_link(path):
    try:
        return os.readlink(path)
    except OSError:
        return None


def _boot_id():
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as fh:
            return fh.read().strip()
    except OSError:
        return None


def _owner():
    """What names this process for good: pid, start time, PID namespace, boot."""
    return {"pid": os.getpid(), "started": _start_time(os.getpid()), "pidns": _read_link("/proc/self/ns/pid"),
            "boot": _boot_id()}


def _owner_alive(folder):
    """False only when the run that made ``folder`` is surely gone."""
    try:
        owner = json.loads((folder / OWNER).read_text(encoding="utf-8"))
        pid, started = int(owner["pid"]), owner["started"]
    except (OSError, ValueError, KeyError, TypeError):
        try:
            return time.time() - folder.stat().st_mtime < UNOWNED_GRACE
        except OSError:
            return True
    if owner.get("boot") != _boot_id():
        return False  # made before the machine last started
    if owner.get("pidns") != _read_link("/proc/self/ns/pid"):
        return True  # a run in another container sharing this folder: its pids are not ours to see
    return _start_time(pid) == started


def processes_naming(folder):
    """Pids of the processes (not this one) whose command line names a path inside
    ``folder``."""
    needle = os.fsencode(os.path.join(os.path.abspath(folder), ""))
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                with open("/proc/%s/cmdline" % entry.name, "rb") as fh:
                    if needle in fh.read():
                        found.append(int(entry.name))
            except OSError:  # gone meanwhile, or not ours to read
                pass
    return found


def _end_orphans(folder):
    orphans = processes_naming(folder)
    for pid in orphans:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    if orphans:
        log.warning("ended %d process(es) left running by a killed run in %s", len(orphans), folder)


def sweep_stale(base=None):
    """Remove the run folders under ``base`` (default: the temporary directory) whose
    owning process is gone, after SIGKILLing what still runs in them; returns the
    folders removed."""
    removed = []
    for folder in sorted(Path(base or tempfile.gettempdir()).glob(PREFIX + "*")):
        if folder.is_dir() and not folder.is_symlink() and not _owner_alive(folder):
            _end_orphans(folder)
            if remove_tree(folder):
                removed.append(folder)
    if removed:
        log.info("removed %d scratch folder(s) of earlier runs that were killed", len(removed))
    return removed


class RunScratch:
    """The scratch folder of one run: ``with RunScratch() as scratch: scratch.worker(1)``.

    The folder and the workers' folders are mode 0711: a sandbox's unprivileged uid may
    pass through to its own (bind-mounted) folders but not list the others'."""

    def __init__(self, base=None):
        self.base = base
        self.path = None

    def __enter__(self):
        sweep_stale(self.base)
        self.path = Path(tempfile.mkdtemp(prefix=PREFIX, dir=self.base))
        os.chmod(self.path, 0o711)
        (self.path / OWNER).write_text(json.dumps(_owner()), encoding="utf-8")
        return self

    def worker(self, number):
        """A new, empty folder for worker ``number``."""
        folder = self.path / ("w%d" % number)
        folder.mkdir(mode=0o711)
        os.chmod(folder, 0o711)  # whatever the umask
        return folder

    def __exit__(self, *exc):
        if self.path is not None:
            remove_tree(self.path)
            self.path = None
        return False


__all__ = ["RunScratch", "remove_tree", "sweep_stale", "PREFIX"]
