"""Read files from sources a student may have shaped, without trusting them.

``convgrade collect`` reads hand-ins from nbgrader's exchange (folders students
write), folders and LMS zips. This module is the part that touches those bytes:

- :class:`Spool` copies one file at a time, in 1 MiB blocks, into a hidden folder of
  the course, counting the bytes it actually reads (never a zip header's claim) against
  :class:`Caps`: per file, per collect, and a compression ratio. Memory stays at one
  block whatever the source holds; disk at what the caps let through.
- :func:`open_folder` and :func:`open_regular` open with ``O_NOFOLLOW`` relative to an
  open folder, so a symbolic link is refused, never followed, and a name swapped between
  the check and the open is caught (the file opened must be the one checked); a FIFO or a
  device is never opened.
- :func:`zip_entries` lists a zip's files from its central directory, or, when that is
  missing (a truncated download), from the local headers one after the other, so the
  files before the damage can still be read. Stored and deflated entries are unpacked by
  :class:`_EntryReader`, which knows the packed bytes it consumed (a bomb is caught by
  its ratio after 2 MB, not after its whole packed size), checks the CRC, and refuses
  more bytes than the header states.

Whatever is refused raises :class:`Refused`, whose message is the one-line reason the
report prints; a problem with the whole source raises :class:`BadSource`.
"""
from __future__ import annotations

import datetime
import hashlib
import io
import lzma
import os
import shutil
import stat
import struct
import tempfile
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

BLOCK = 1 << 20
MB = 1 << 20


class Refused(Exception):
    """A file or folder collect will not take; the message is the reason (one line)."""


class BadSource(Exception):
    """The whole source cannot be read (not a zip, too many entries)."""


@dataclass(frozen=True)
class Caps:
    """What one collect reads at most.

    Attributes
    ----------
    file_bytes : int
        One notebook. A ps1-ps5 notebook is 25 kB blank and stays under 5 MB with its
        outputs, but a student may hand in one that kept a big image (the class of
        ``tests/autograder/test_pipeline.py`` has a 50 MB one, graded as any other):
        64 MB takes that and stays half of what grading reads (``rebuild`` refuses 128 MB).
        Memory does not depend on it: files stream to disk.
    total_bytes : int
        Everything one collect reads or unpacks, refused files included: 1 GiB is a class
        of 200 notebooks of 5 MB, or 16 at the cap.
    ratio, ratio_floor : int
        A file that unpacks to more than ``ratio`` times its packed size is refused once
        it passes ``ratio_floor`` bytes (notebooks pack 3-10:1, a zip bomb 1000:1).
    zip_entries : int
        Files one zip may list (its directory is held in memory while reading).
    """

    file_bytes: int = 64 * MB
    total_bytes: int = 1024 * MB
    ratio: int = 100
    ratio_floor: int = 1 * MB
    zip_entries: int = 50_000


@dataclass(frozen=True)
class SpooledFile:
    """A file read into the spool: where it is, its size and SHA-256."""

    path: Path
    size: int
    sha256: str


class Spool:
    """A hidden folder ``ROOT/.collect-XXXX`` of the course holding the files read so far.

    It sits on the course's file system so placing a file is a rename; it is removed
    when the ``with`` block ends, whatever happened.
    """

    def __init__(self, root, caps=None):
        self.caps = caps or Caps()
        self.folder = Path(tempfile.mkdtemp(prefix=".collect-", dir=root))
        self.total = 0
        self._count = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.folder, ignore_errors=True)

    def take(self, stream, packed_size=None):
        """Copy ``stream`` into the spool within the caps; return a :class:`SpooledFile`.

        ``packed_size``: the bytes the data occupies in a zip, for the ratio cap; a stream
        with a ``packed_read`` attribute (the packed bytes it consumed so far) is held to
        that instead, so a bomb is refused after its first megabyte. Raises
        :class:`Refused` (nothing left behind) when a cap is passed or reading fails.
        """
        caps = self.caps
        if self.total >= caps.total_bytes:
            raise Refused(_total_reached(caps))
        self._count += 1
        path = self.folder / ("%d.part" % self._count)
        digest, size = hashlib.sha256(), 0
        try:
            with open(path, "xb") as out:
                for block in _blocks(stream):
                    size += len(block)
                    self.total += len(block)
                    _check_caps(caps, size, getattr(stream, "packed_read", packed_size), self.total)
                    digest.update(block)
                    out.write(block)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return SpooledFile(path, size, digest.hexdigest())

    @staticmethod
    def release(spooled):
        """Delete ``spooled`` from the spool (a copy that is not used)."""
        spooled.path.unlink(missing_ok=True)


def _blocks(stream):
    """The blocks of ``stream``; a read error of a damaged source becomes :class:`Refused`."""
    while True:
        try:
            block = stream.read(BLOCK)
        except zipfile.BadZipFile as exc:
            raise Refused("the zip is damaged here: %s" % exc) from None
        except (zlib.error, lzma.LZMAError, EOFError, ValueError, OSError) as exc:
            reason = getattr(exc, "strerror", None) or exc or type(exc).__name__
            raise Refused("cannot be read: %s" % reason) from None
        if not block:
            return
        yield block


def _check_caps(caps, size, packed_size, total):
    """:class:`Refused` once a file of ``size`` bytes read (``packed_size`` in the zip)
    passes a cap, or the collect's ``total``."""
    if size > caps.file_bytes:
        raise Refused("larger than %s, the most collect takes for one notebook (--max-notebook-mb)"
                      % _size(caps.file_bytes))
    if packed_size is not None and size > caps.ratio_floor and size > caps.ratio * max(packed_size, 1):
        raise Refused("unpacks to more than %d times its packed size (%s packed, more than %s unpacked): "
                      "a zip bomb?" % (caps.ratio, _size(packed_size), _size(size)))
    if total > caps.total_bytes:
        raise Refused(_total_reached(caps))


def _total_reached(caps):
    return "this collect already read %s, the most one collect reads (--max-total-mb)" % _size(caps.total_bytes)


def _size(count):
    """``count`` bytes for a person: ``64 MB``, ``3 kB``, ``17 bytes``."""
    for unit, name in ((MB, "MB"), (1024, "kB")):
        if count >= unit:
            return "%d %s" % (count // unit, name)
    return "%d bytes" % count


def file_sha256(path):
    """SHA-256 of the regular file ``path`` read in blocks, or None for anything else
    (a link, a FIFO: it is never opened)."""
    path = Path(path)
    try:
        with open_folder(path.parent) as folder, open_regular(path.name, folder) as stream:
            digest = hashlib.sha256()
            for block in iter(lambda: stream.read(BLOCK), b""):
                digest.update(block)
            return digest.hexdigest()
    except (Refused, OSError):
        return None


# -- folders ----------------------------------------------------------------------------------
@contextmanager
def open_folder(path, dir_fd=None, *, follow=True):
    """A file descriptor of the folder ``path`` (relative to ``dir_fd`` if given).

    ``follow=False``: a symbolic link is refused (``O_NOFOLLOW``), not followed.
    """
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags, dir_fd=dir_fd)
    except OSError as exc:
        if _is_link(path, dir_fd):
            raise Refused("a symbolic link (collect does not follow links)") from None
        raise Refused("cannot be opened as a folder: %s" % exc.strerror) from None
    try:
        yield fd
    finally:
        os.close(fd)


def entries(dir_fd):
    """``[(name, lstat result)]`` of the folder open as ``dir_fd``, sorted by name."""
    found = [(name, lstat_in(name, dir_fd)) for name in sorted(os.listdir(dir_fd))]
    return [(name, st) for name, st in found if st is not None]  # None: removed while we looked


def lstat_in(name, dir_fd):
    """The lstat result of ``name`` in the folder ``dir_fd``, or None if there is none."""
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def not_regular(st, *, single_link=False):
    """Why the file with lstat result ``st`` is not taken, or None for a plain file.

    ``single_link``: refuse a file with another name elsewhere (a hard link can make a
    student's hand-in a name of someone else's file; nbgrader's submit makes fresh copies).
    """
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        return "a symbolic link (collect does not follow links)"
    if stat.S_ISDIR(mode):
        return "a folder"
    if not stat.S_ISREG(mode):
        kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a file")
        return "%s, not a regular file" % kind
    if single_link and st.st_nlink > 1:
        return "a hard link (the file has %d names; a hand-in must be its own copy)" % st.st_nlink
    return None


@contextmanager
def open_regular(name, dir_fd, checked=None, *, single_link=False):
    """A binary stream of the regular file ``name`` in the folder ``dir_fd``.

    ``checked``: its lstat result from :func:`entries`; the file opened must be that
    very file (a name swapped for a link, a FIFO or another file since is refused).
    Never follows a link; opening does not block (a FIFO would hang the collect).
    """
    if checked is not None:
        reason = not_regular(checked, single_link=single_link)
        if reason:
            raise Refused(reason)
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError as exc:
        if _is_link(name, dir_fd):
            raise Refused("a symbolic link (collect does not follow links)") from None
        raise Refused("cannot be opened: %s" % exc.strerror) from None
    stream = os.fdopen(fd, "rb")
    with stream:
        opened = os.fstat(fd)
        reason = not_regular(opened, single_link=single_link)
        if reason:
            raise Refused(reason)
        if checked is not None and (opened.st_dev, opened.st_ino) != (checked.st_dev, checked.st_ino):
            raise Refused("replaced by another file while collect was reading the folder")
        yield stream


def _is_link(path, dir_fd):
    try:
        return stat.S_ISLNK(os.stat(path, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def read_small(name, dir_fd, checked, limit=4096):
    """The first ``limit`` bytes of the regular file ``name`` (a ``timestamp.txt``)."""
    with open_regular(name, dir_fd, checked) as stream:
        return stream.read(limit)


# -- zips -------------------------------------------------------------------------------------
@dataclass
class ZipEntry:
    """One file listed in a zip, opened only when read."""

    name: str
    index: int
    date_time: tuple
    encrypted: bool
    is_dir: bool
    packed_size: int                 # bytes of packed data, at most what the zip file holds
    open: Callable                   # () -> a binary stream of the unpacked bytes

    @property
    def modified(self):
        """The time stored for the file (the packer's local time), or None if impossible."""
        try:
            return datetime.datetime(*self.date_time)
        except (TypeError, ValueError):
            return None


@contextmanager
def zip_entries(path, caps=None):
    """``(entries, damage)`` of the zip ``path``: its :class:`ZipEntry` list, and None, or
    the reason its central directory could not be used (then the entries come from the
    local headers before the damage). Raises :class:`BadSource` if it is not a zip.
    """
    caps = caps or Caps()
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        announced = _listed_count(fh)
        if announced is not None and announced > caps.zip_entries:
            raise BadSource("the zip lists %d files, more than the %d one collect reads"
                            % (announced, caps.zip_entries))
        try:
            archive = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, struct.error) as exc:
            damage = "its list of files (central directory) is missing or damaged (%s): a truncated " \
                     "download? The files before the damage were read from their own headers; " \
                     "download it again for the rest" % (exc or type(exc).__name__)
            salvaged = _salvage(fh, size, caps)
            if not salvaged:
                raise BadSource("not a zip file, or one too damaged to read (%s)" % (exc or type(exc).__name__))
            yield salvaged, damage
            return
        with archive:
            listed = [_central_entry(archive, fh, info, index, size) for index, info in enumerate(archive.infolist())]
            yield listed, None


def _listed_count(fh):
    """The number of files the zip's end record announces, or None (no end record)."""
    try:
        # zipfile's own reader of the end record (zip64 included); private but stable
        record = zipfile._EndRecData(fh)
    except (AttributeError, OSError, struct.error):
        return None
    return record[zipfile._ECD_ENTRIES_TOTAL] if record else None


def _central_entry(archive, fh, info, index, size):
    return ZipEntry(name=info.filename, index=index, date_time=info.date_time, encrypted=bool(info.flag_bits & 1),
                    is_dir=info.is_dir(), packed_size=min(info.compress_size, size),
                    open=lambda: _open_member(archive, fh, info, size))


def _open_member(archive, fh, info, size):
    """A stream of the member ``info``: our own :class:`_EntryReader` for stored and
    deflated members (it counts the packed bytes it consumed), zipfile's for the rest."""
    if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        fh.seek(info.header_offset)
        header = fh.read(_LOCAL.size)
        if len(header) < _LOCAL.size or header[:4] != _LOCAL_SIG:
            raise Refused("damaged: no file header where the zip's list says this file starts")
        fields = _LOCAL.unpack(header)
        data = info.header_offset + _LOCAL.size + fields[9] + fields[10]
        return _EntryReader(fh, data, min(info.compress_size, max(size - data, 0)), info.compress_type, info.CRC,
                            info.file_size)
    try:
        return archive.open(info)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, ValueError, EOFError) as exc:
        raise Refused("cannot be read: %s" % (exc or type(exc).__name__)) from None


_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_SIG, _CENTRAL_SIG, _DESCRIPTOR_SIG = b"PK\x03\x04", b"PK\x01\x02", b"PK\x07\x08"


def _salvage(fh, size, caps):
    """The entries found by walking the local headers from the start of the file."""
    found, offset = [], 0
    while offset + _LOCAL.size <= size:
        if len(found) == caps.zip_entries:
            raise BadSource("the zip holds more than the %d files one collect reads" % caps.zip_entries)
        fh.seek(offset)
        header = fh.read(_LOCAL.size)
        if header[:4] != _LOCAL_SIG:
            break
        _sig, _ver, flags, method, mtime, mdate, crc, packed, unpacked, name_len, extra_len = _LOCAL.unpack(header)
        raw_name = fh.read(name_len)
        extra = fh.read(extra_len)
        if 0xFFFFFFFF in (packed, unpacked):
            packed, unpacked = _zip64_sizes(extra, packed, unpacked)
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
        data = offset + _LOCAL.size + name_len + extra_len
        sized = not flags & 0x8
        date_time = ((mdate >> 9) + 1980, (mdate >> 5) & 0xF, mdate & 0x1F,
                     mtime >> 11, (mtime >> 5) & 0x3F, (mtime & 0x1F) * 2)
        found.append(ZipEntry(name=name, index=len(found), date_time=date_time, encrypted=bool(flags & 1),
                              is_dir=name.endswith("/"), packed_size=min(packed if sized else size, size - data),
                              open=_local_opener(fh, data, packed if sized else None, method, crc if sized else None,
                                                 unpacked if sized else None)))
        offset = data + packed if sized else _next_header(fh, data, size)
    return found


def _zip64_sizes(extra, packed, unpacked):
    """The real sizes from the zip64 extra field (id 1) of a local header."""
    at = 0
    while at + 4 <= len(extra):
        kind, length = struct.unpack_from("<HH", extra, at)
        if kind == 1:
            values = list(struct.unpack_from("<%dQ" % min(length // 8, 2), extra, at + 4))
            if unpacked == 0xFFFFFFFF and values:
                unpacked = values.pop(0)
            if packed == 0xFFFFFFFF and values:
                packed = values.pop(0)
            break
        at += 4 + length
    return packed, unpacked


def _next_header(fh, start, size):
    """Where the next local header (or the central directory) starts after ``start``."""
    fh.seek(start)
    position, tail = start, b""
    while position < size:
        block = fh.read(BLOCK)
        if not block:
            break
        window = tail + block
        hits = [i for i in (window.find(_LOCAL_SIG), window.find(_CENTRAL_SIG)) if i >= 0]
        if hits:
            return position - len(tail) + min(hits)
        tail = window[-3:]
        position += len(block)
    return size


def _local_opener(fh, data, packed, method, crc, unpacked):
    def open_entry():
        if method not in (0, 8):
            raise Refused("packed with method %d, which collect reads only from an intact zip" % method)
        if method == 0 and packed is None:
            raise Refused("stored without its size, which is only in the missing end of the zip")
        return _EntryReader(fh, data, packed, method, crc, unpacked)
    return open_entry


class _EntryReader(io.RawIOBase):
    """The unpacked bytes of a stored or deflated zip entry, read from the zip in blocks.

    ``packed_read`` is the packed bytes consumed so far, so a bomb is caught by its ratio
    after its first megabyte, not after its whole packed size; more bytes than the header
    states (``unpacked``) or a CRC that does not match is :class:`Refused`. ``packed``,
    ``crc``, ``unpacked``: None where the zip does not say (a salvaged entry with a data
    descriptor).
    """

    RAW = 64 * 1024  # packed bytes fed at a time: keeps packed_read close to what was used

    def __init__(self, fh, offset, packed, method, crc, unpacked):
        super().__init__()
        self._fh, self._offset, self._left = fh, offset, packed
        self._inflate = zlib.decompressobj(-15) if method == zipfile.ZIP_DEFLATED else None
        self._pending, self._raw_total, self._out_total = b"", 0, 0
        self._crc, self._expected_crc, self._expected_size = 0, crc, unpacked

    @property
    def packed_read(self):
        return self._raw_total - len(self._pending)

    def readable(self):
        return True

    def read(self, n=-1):
        n = BLOCK if n is None or n < 0 else n
        while True:
            if self._inflate is not None and (self._pending or self._inflate.eof):
                out = b"" if self._inflate.eof else self._inflate.decompress(self._pending, n)
                self._pending = self._inflate.unconsumed_tail
                if out or self._inflate.eof:
                    return self._checked(out, end=not out)
            raw = self._raw(n if self._inflate is None else self.RAW)
            if not raw:
                if self._inflate is None and self._left == 0:
                    return self._checked(b"", end=True)
                raise Refused("the zip ends inside this file (a truncated download)")
            if self._inflate is None:
                return self._checked(raw)
            self._pending = raw

    def _raw(self, n):
        want = n if self._left is None else min(n, self._left)
        if want <= 0:
            return b""
        self._fh.seek(self._offset)
        raw = self._fh.read(want)
        self._offset += len(raw)
        self._raw_total += len(raw)
        if self._left is not None:
            self._left -= len(raw)
        return raw

    def _checked(self, out, end=False):
        self._crc = zlib.crc32(out, self._crc)
        self._out_total += len(out)
        if self._expected_size is not None and self._out_total > self._expected_size:
            raise Refused("damaged: it unpacks to more than the %d bytes the zip says" % self._expected_size)
        if end and self._expected_size is not None and self._out_total != self._expected_size:
            raise Refused("damaged: it unpacks to %d bytes, the zip says %d" % (self._out_total, self._expected_size))
        if end and self._expected_crc is not None and self._crc != self._expected_crc:
            raise Refused("damaged: its CRC-32 does not match the zip's")
        return out
