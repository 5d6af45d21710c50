"""Builders for the attacks on ``convgrade collect`` (``test_collect_attacks.py``): real
throw-away Unix users and their exchange folders, zips written byte by byte (bombs,
headers that lie, encrypted or cut-off entries), and a watch on a folder's disk use.
Plain functions, no pytest."""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import struct
import subprocess
import sys
import threading
import time
import zlib
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONVGRADE = Path(sys.executable).parent / "convgrade"
STAMP = "%Y-%m-%d %H:%M:%S.%f UTC"


# -- notebooks ----------------------------------------------------------------------------------
def notebook(marker):
    """The released ps2 notebook with a markdown cell saying ``marker``, as bytes."""
    nb = json.loads((ROOT / "release" / "ps2" / "ps2.ipynb").read_text(encoding="utf-8"))
    nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source": ["handed in by %s" % marker]})
    return json.dumps(nb, indent=1).encode("utf-8")


def sha(data):
    return hashlib.sha256(data).hexdigest()


def placed(course, student, name="ps2.ipynb"):
    """The bytes of ``submitted/STUDENT/ps2/NAME``, or None."""
    path = Path(course) / "submitted" / student / "ps2" / name
    return path.read_bytes() if path.is_file() else None


def submitted_tree(course):
    """``{relative path: sha256}`` of every notebook under ``submitted/``."""
    base = Path(course) / "submitted"
    return {str(p.relative_to(base)): sha(p.read_bytes()) for p in sorted(base.rglob("*.ipynb"))} \
        if base.is_dir() else {}


# -- Unix users and the exchange -----------------------------------------------------------------
@contextmanager
def unix_users(count):
    """``count`` new Unix users ``cgtest_<hex>`` (no home); removed on exit, even after a failure."""
    names = ["cgtest_%s" % secrets.token_hex(4) for _ in range(count)]
    made = []
    try:
        for name in names:
            subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name],
                           check=True, capture_output=True)
            made.append(name)
        yield names
    finally:
        for name in made:
            subprocess.run(["userdel", name], capture_output=True)


def unused_uid():
    """A uid no Unix user has."""
    import pwd

    taken = {p.pw_uid for p in pwd.getpwall()}
    uid = 40000 + secrets.randbelow(20000)
    while uid in taken:
        uid += 1
    return uid


def use_exchange(course, exchange, course_id="cnn101", extra=""):
    """Point ``course`` at the exchange ``exchange``; return its inbound folder."""
    Path(course, "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = %r\n"
                                                  "c.Exchange.root = %r\n%s" % (course_id, str(exchange), extra))
    inbound = Path(exchange) / course_id / "inbound"
    inbound.mkdir(parents=True, exist_ok=True)
    os.chmod(inbound, 0o1733)  # as nbgrader makes it: anyone may add, nobody may list or rename others'
    return inbound


def stamp(minutes_from_now=0.0, days=0):
    """A time in nbgrader's format, ``minutes_from_now`` (or ``days`` ago when negative) from now."""
    import datetime

    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    return (now + datetime.timedelta(minutes=minutes_from_now, days=days)).strftime(STAMP)


def hand_in(inbound, owner, folder_name, files):
    """Make ``inbound/FOLDER_NAME`` with ``files`` (``{name: bytes}``), all owned by the Unix
    user ``owner`` (a name or a uid). Returns the folder."""
    import pwd

    uid = owner if isinstance(owner, int) else pwd.getpwnam(owner).pw_uid
    folder = Path(inbound) / folder_name
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
        os.chown(folder / name, uid, -1)
    os.chown(folder, uid, -1)
    return folder


# -- zips written by hand ------------------------------------------------------------------------
class Member:
    """One zip entry: ``data`` packed with ``method`` (8: deflate, 0: stored), or a
    ready ``packed`` stream with its ``size`` and ``crc``; ``stated_size`` lies about the
    unpacked size; ``flags`` bit 0 marks it encrypted."""

    def __init__(self, name, data=None, *, packed=None, size=None, crc=None, method=8, stated_size=None, flags=0,
                 date=0x5821):  # 2024-01-01
        self.name = name.encode("utf-8")
        if packed is None:
            packed = _deflate(data) if method == 8 else data
            size, crc = len(data), zlib.crc32(data)
        self.packed, self.size, self.crc, self.method = packed, size, crc, method
        self.stated_size = size if stated_size is None else stated_size
        self.flags = flags | 0x800  # names are UTF-8
        self.date = date


def _deflate(data):
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def zeros_member(name, size):
    """A member of ``size`` zero bytes (a zip bomb's brick), packed once per size."""
    packed, crc = _zeros(size)
    return Member(name, packed=packed, size=size, crc=crc)


_ZEROS = {}


def _zeros(size):
    if size not in _ZEROS:
        packer, crc, block = zlib.compressobj(9, zlib.DEFLATED, -15), 0, bytes(1 << 20)
        parts, left = [], size
        while left:
            piece = block[:min(left, len(block))]
            parts.append(packer.compress(piece))
            crc = zlib.crc32(piece, crc)
            left -= len(piece)
        parts.append(packer.flush())
        _ZEROS[size] = (b"".join(parts), crc)
    return _ZEROS[size]


def write_zip(path, members, *, cut_at=None, drop_directory=False):
    """Write ``members`` as a zip at ``path``; ``cut_at``: keep only that many bytes (a
    truncated download); ``drop_directory``: leave out the central directory."""
    local, central = bytearray(), bytearray()
    for m in members:
        offset = len(local)
        header = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, m.flags, m.method, 0, m.date,
                             m.crc, len(m.packed), m.stated_size, len(m.name), 0)
        local += header + m.name + m.packed
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, m.flags, m.method, 0, m.date,
                               m.crc, len(m.packed), m.stated_size, len(m.name), 0, 0, 0, 0, 0, offset) + m.name
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(local), 0)
    data = bytes(local) if drop_directory else bytes(local + central + end)
    Path(path).write_bytes(data[:cut_at] if cut_at is not None else data)
    return Path(path)


# -- measuring ---------------------------------------------------------------------------------
def folder_bytes(folder):
    """Bytes of the files under ``folder`` (0 if it vanished meanwhile)."""
    total = 0
    for base, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(base, name)).st_size
            except OSError:
                pass
    return total


@contextmanager
def disk_watch(folder, every=0.02):
    """Watch ``folder`` while the block runs; yields a dict whose ``peak`` is the most
    bytes it held above what it held at the start."""
    result = {"peak": 0}
    start = folder_bytes(folder)
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            result["peak"] = max(result["peak"], folder_bytes(folder) - start)
            time.sleep(every)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield result
    finally:
        stop.set()
        thread.join()
        result["peak"] = max(result["peak"], folder_bytes(folder) - start)


_MEASURE = ("import resource, subprocess, sys\n"
            "proc = subprocess.run(sys.argv[2:], capture_output=True, text=True)\n"
            "sys.stdout.write(proc.stdout)\nsys.stderr.write(proc.stderr)\n"
            "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
            "sys.exit(proc.returncode)\n")


def measured_convgrade(course, *args, timeout=600, pythonpath=None):
    """Run ``convgrade --course COURSE ARGS`` under a fresh parent process; returns
    ``(CompletedProcess, peak RSS in MB, peak disk growth of COURSE in MB)``.
    ``pythonpath``: run that copy of the package instead (the code before a change)."""
    rss_file = Path(course).parent / ("rss-%s" % secrets.token_hex(4))
    command = [str(CONVGRADE)] if pythonpath is None else [
        sys.executable, "-c", "import sys; from autograder.cli import main; sys.exit(main())"]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    with disk_watch(course) as disk:
        proc = subprocess.run([sys.executable, "-c", _MEASURE, str(rss_file), *command, "--course", str(course),
                               *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env,
                              cwd=Path(course).parent)  # not the repository: `python -c` imports from its cwd
    rss_kb = int(rss_file.read_text() or 0) if rss_file.exists() else 0
    rss_file.unlink(missing_ok=True)
    return proc, rss_kb / 1024, disk["peak"] / 2 ** 20

