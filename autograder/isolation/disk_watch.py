"""The disk cap of a sandboxed kernel: a watch on the folders it shares with the grader.

The kernel's rlimit on file size caps one file; :class:`DiskWatch` caps everything it
adds to the folders on the grader's disk (``Limits.max_disk_bytes``), so many files under
the size limit cannot fill the disk either.
"""
from __future__ import annotations

import logging
import os
import stat as stat_module
import threading

log = logging.getLogger(__name__)


def disk_use(folders, max_entries):
    """``(bytes, entries)`` the files under ``folders`` take on disk (allocated blocks:
    a sparse file counts what it holds, not its length; links are not followed). Stops
    counting past ``max_entries`` entries (then ``entries > max_entries``)."""
    used, entries, todo = 0, 0, [str(f) for f in folders]
    while todo and entries <= max_entries:
        try:
            with os.scandir(todo.pop()) as listing:
                for entry in listing:
                    entries += 1
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:  # removed while we looked
                        continue
                    used += info.st_blocks * 512
                    if stat_module.S_ISDIR(info.st_mode):
                        todo.append(entry.path)
        except OSError:
            continue
    return used, entries


class DiskWatch:
    """Stop a kernel that writes more than ``limit`` bytes (or :attr:`MAX_ENTRIES` files)
    into ``folders``, the grader's disk it shares: between :meth:`start` and
    :meth:`close` a thread measures them every ``interval`` seconds and calls
    ``on_exceeded()`` once, then :attr:`exceeded` says why.

    What was there at the start (the submission, the course's data files) does not
    count. Writing is fast, so the kernel may pass the limit by what it writes in one
    interval before it is stopped."""

    MAX_ENTRIES = 20_000

    def __init__(self, folders, limit, on_exceeded, interval=0.2):
        self.folders, self.limit, self.on_exceeded, self.interval = list(folders), limit, on_exceeded, interval
        self.exceeded = None
        self._base, _ = disk_use(self.folders, self.MAX_ENTRIES)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="convgrade-diskwatch")

    def start(self):
        self._thread.start()

    def close(self):
        """Stop watching (and wait for the thread); safe to call when never started."""
        self._done.set()
        if self._thread.ident is not None:
            self._thread.join()

    def _watch(self):
        while not self._done.wait(self.interval):
            used, entries = disk_use(self.folders, self.MAX_ENTRIES)
            if used - self._base > self.limit:
                self.exceeded = "wrote more than the %s it may add to its folders on disk" % size_text(self.limit)
            elif entries > self.MAX_ENTRIES:
                self.exceeded = "made more than %d files in its folders on disk" % self.MAX_ENTRIES
            if self.exceeded:
                log.warning("sandbox: stopped a kernel that %s", self.exceeded)
                self.on_exceeded()
                return


def size_text(n):
    """``n`` bytes for a person: ``512MiB``, ``3.5MB``, ``100 bytes``."""
    for unit, scale in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if n >= scale and n % scale == 0:
            return "%d%s" % (n // scale, unit)
    return "%d bytes" % n if n < 10 ** 6 else "%gMB" % (n / 1e6)
