"""The channel a student's kernel reports check results through, sealed cell by cell.

The probe in the kernel (``convgrade_kernel.probe``) writes one JSON line per case
into a FIFO that the grader makes in the kernel's working directory
(``CONVGRADE_RESULTS``). The grader reads the FIFO while the notebook runs and, each
time a cell has finished, takes what arrived during that cell (:meth:`take`). So:

- nothing can be rewritten once written: a FIFO has no past to seek back into, and
  what the grader has read is in the grader's memory only;
- every record is tied to the cell during which it arrived, and the grader counts a
  check's records only from the test cell that calls it, so code in a later cell
  cannot change an earlier check's results and code in an earlier cell cannot plant
  any (``autograder.pipeline.grade`` scores them).

Memory stays bounded whatever a kernel writes: a line longer than ``max_record_bytes``
is dropped while it streams in (never held whole), and once the lines kept for the
notebook add up to ``max_total_bytes`` every further line is read and dropped; both are
counted for the teacher. Over-long lines a notebook writes cost it nothing else, since
they are never kept.
Reading never blocks: the FIFO is read only when it is readable, from the event loop
that runs the notebook, and a write end the grader keeps open means a kernel that
closes its end is no end-of-file.
"""
from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

#: The FIFO's name in the kernel's working directory.
RESULTS_NAME = "results.fifo"
#: Largest record kept: far above a real answer (the codec refuses arrays over 4 million
#: numbers, and the checks' inputs are small), far below a worker's memory.
MAX_RECORD_BYTES = 16 * 1024 ** 2
#: Most that one notebook's records may add up to.
MAX_TOTAL_BYTES = 128 * 1024 ** 2
_CHUNK = 1 << 16


@dataclass
class ChannelLosses:
    """What the channel dropped (lines over the record limit, bytes past the total), and
    the limits it dropped them by."""

    max_record_bytes: int = MAX_RECORD_BYTES
    max_total_bytes: int = MAX_TOTAL_BYTES
    long_lines: int = 0
    overflow_bytes: int = 0

    def describe(self):
        """One line for the teacher, or ``""``."""
        parts = []
        if self.long_lines:
            parts.append("%d result line(s) longer than %d bytes" % (self.long_lines, self.max_record_bytes))
        if self.overflow_bytes:
            parts.append("%d bytes of results past the %d bytes one notebook may send"
                         % (self.overflow_bytes, self.max_total_bytes))
        return "dropped " + " and ".join(parts) if parts else ""


class ResultsChannel:
    """A FIFO at ``path`` that the kernel writes records into and the grader reads.

    Use::

        channel = ResultsChannel(workdir / RESULTS_NAME)
        channel.open(owner_uid)          # before the kernel starts
        loop.add_reader(channel.fd, channel.drain)
        ...                              # after each cell: lines = channel.take()
        channel.close()
    """

    def __init__(self, path, *, max_record_bytes=MAX_RECORD_BYTES, max_total_bytes=MAX_TOTAL_BYTES):
        self.path = os.fspath(path)
        self.max_record_bytes, self.max_total_bytes = max_record_bytes, max_total_bytes
        self.fd = self._keep_open = None
        self.losses = ChannelLosses(max_record_bytes, max_total_bytes)
        self._lines, self._partial, self._skipping, self._total = [], bytearray(), False, 0

    def open(self, owner_uid=None):
        """Make the FIFO (mode 0600, owned by ``owner_uid`` when given) and open both ends."""
        os.mkfifo(self.path, 0o600)
        if owner_uid is not None:
            os.chown(self.path, owner_uid, owner_uid)
        self.fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self._keep_open = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
        if not stat.S_ISFIFO(os.fstat(self.fd).st_mode):  # made by us a moment ago; never trust a path twice
            self.close()
            raise OSError(errno.EINVAL, "the results channel is not a FIFO", self.path)
        return self

    def drain(self):
        """Read everything the FIFO holds now, without blocking."""
        if self.fd is None:
            return
        while True:
            try:
                chunk = os.read(self.fd, _CHUNK)
            except BlockingIOError:
                return
            except OSError:  # the FIFO went away under us: nothing more will come
                return
            if not chunk:
                return
            self._feed(chunk)

    def take(self):
        """The complete lines (bytes, without the newline) that arrived since the last take."""
        self.drain()
        lines, self._lines = self._lines, []
        return lines

    def close(self):
        """Close both ends and remove the FIFO (whatever the kernel left at its path)."""
        opened = self.fd is not None
        for name in ("fd", "_keep_open"):
            fd = getattr(self, name)
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
                setattr(self, name, None)
        if opened:
            try:
                os.unlink(self.path)
            except OSError:  # already gone, or a folder the kernel made there: the sandbox's sweep
                pass

    def _feed(self, chunk):
        """Split ``chunk`` into lines, keeping only what fits both limits: an over-long line
        is dropped whole as it streams in, and so is every line past the notebook's total."""
        start = 0
        while start < len(chunk):
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start:end]
            if not self._skipping:
                if len(self._partial) + len(piece) > self.max_record_bytes:
                    self.losses.long_lines += 1
                    self._skipping, self._partial = True, bytearray()
                elif self._total + len(self._partial) + len(piece) > self.max_total_bytes:
                    self.losses.overflow_bytes += len(self._partial) + len(piece)
                    self._skipping, self._partial = True, bytearray()
                else:
                    self._partial += piece
            if end < 0:
                return
            if not self._skipping:
                self._lines.append(bytes(self._partial))
                self._total += len(self._partial) + 1
            self._partial, self._skipping = bytearray(), False
            start = end + 1
