"""Isolation of one student kernel: what it can see, who it runs as, what it may use,
and the certainty that nothing it started outlives it.

A kernel is started as (bubblewrap available, grader running as root)::

    python -I -S launch_guard.py <lifeline fd> \\
    bwrap <namespaces> <read-only system> <tmpfs> <binds> -- \\
        setpriv --reuid U --regid U --clear-groups --no-new-privs ... -- \\
        prlimit --as=... --cpu=... --nproc=... --fsize=... --core=0 -- \\
        <kernel_python> -m ipykernel_launcher -f <connection file>

- **bubblewrap**: new network (no interface but loopback, nothing outside reachable),
  PID, IPC, UTS and cgroup namespaces, and a mount namespace whose root is a read-only
  tmpfs holding only ``/usr`` (read-only), a few files of ``/etc``, the kernel's Python
  installation (read-only), fresh ``/proc`` and ``/dev``, size-limited private ``/tmp``,
  ``/dev/shm`` and ``$HOME``, the working directory at :data:`SANDBOX_WORKDIR`
  (read-write) and the connection directory (sockets; bound at its own path so both
  sides name the sockets alike). The course
  directory, ``source/``, ``gradebook.db`` and the grader's environment do not exist
  in there.
- **a uid of its own**: each notebook runs under a fresh unprivileged uid from
  :data:`UID_RANGE` (no capabilities, no-new-privileges). Its processes therefore
  count only against their own ``RLIMIT_NPROC``, and "every process of that uid" is
  exactly the notebook's process tree, which :meth:`Sandbox.end_processes` kills
  (``kill(-1)`` run as that uid, repeated until none is left).
- **rlimits**: address space, CPU seconds, processes, file size, no core files.
- **a session of its own** (the launch calls ``setsid``): no controlling terminal, so
  no terminal injection, and out of reach of a signal to the grader's process group.
- **the launch guard** (:mod:`autograder.isolation.launch_guard`): the whole launch is SIGKILLed
  as soon as the grader is gone, however it died, even in the middle of bubblewrap's
  set-up.

Without bubblewrap the same command runs without its first part: a new session,
rlimits, and the uid of its own with its uid-wide kill where that uid can run the
interpreter and reach the working directory (not when either lies under a private
folder such as ``/root``: then the grader's uid, and the kernel's process tree is
killed). :func:`active_protections` and each :class:`Sandbox`'s ``protections`` say
exactly what is active, a WARNING is logged, and ``require_sandbox=True`` refuses to
run (:class:`SandboxUnavailable`). A grader that is not root gets bubblewrap's user
namespace (uid 65534 inside) instead of a uid of its own.

nbclient talks to the kernel over ZeroMQ's ``ipc`` transport (Unix sockets in the
connection directory), which crosses the network namespace.
"""
from __future__ import annotations

import atexit
import functools
import hashlib
import json
import logging
import os
import random
import shutil
import signal
import stat as stat_module
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import SetupError
from autograder.isolation.disk_watch import size_text
from autograder.isolation.scratch import remove_tree

log = logging.getLogger(__name__)

#: Where the kernel sees its home and working directory inside bubblewrap.
SANDBOX_HOME = "/home/student"
SANDBOX_WORKDIR = SANDBOX_HOME + "/work"

#: The tools, looked up once (tests set ``BWRAP = None`` to exercise the fallback).
BWRAP = shutil.which("bwrap")
SETPRIV = shutil.which("setpriv")
PRLIMIT = shutil.which("prlimit")
KILL = shutil.which("kill")
#: Run first in every launch (see its docstring): ends the sandbox when the grader is gone.
LAUNCH_GUARD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "launch_guard.py")
#: Longest temporary-directory path the kernel's runtime folder (its sockets) goes under.
RUNTIME_BASE_MAX = 64

#: Unprivileged uids handed out one per notebook (below 2**31: some tools read uids as int).
UID_RANGE = (2_100_000_000, 2_140_000_000)

#: What of /etc a Python kernel needs (dynamic linker, users, time zone, fonts, mime types).
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone", "passwd",
             "group", "nsswitch.conf", "alternatives", "fonts", "mime.types")

#: Top-level system directories: bound read-only when real, recreated when symlinks (merged /usr).
SYSTEM_DIRS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")

#: Packages of the students' environment hidden from a grading kernel (an empty folder
#: over each): ipykernel imports debugpy at every start, about 0.1 s of CPU, for a
#: debugger nobody attaches while grading.
HIDDEN_PACKAGES = ("debugpy",)

#: One thread per numerical library: 2 GiB of address space stays enough, and parallel
#: grading workers do not oversubscribe the cores.
THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"}


class SandboxUnavailable(SetupError):
    """``require_sandbox=True`` and bubblewrap (or the rest of the sandbox) cannot be used."""


@dataclass
class Limits:
    """Resource limits of one notebook run (defaults: issue 4).

    cell_timeout, notebook_timeout : float
        Wall seconds for one cell and for the whole notebook (kernel start included).
    cpu_seconds : int
        ``RLIMIT_CPU`` of every process in the sandbox (SIGXCPU, then SIGKILL 5 s later).
    memory_bytes : int
        ``RLIMIT_AS`` of every process in the sandbox (an allocation beyond it fails with
        MemoryError instead of taking the grader's memory).
    max_processes : int
        ``RLIMIT_NPROC`` of the notebook's uid: processes *and threads* (a kernel runs
        about 10 threads by itself).
    max_output_bytes : int
        Cap on all outputs kept in the executed notebook; the rest is dropped with a note.
    max_file_bytes : int
        ``RLIMIT_FSIZE`` (largest file the kernel may write), also the size of each of
        the sandbox's private tmpfs mounts (``/tmp``, ``/dev/shm``, ``$HOME``).
    max_disk_bytes : int
        Most the notebook may add in all to the folders it shares with the grader's disk
        (its working directory and its runtime folder); a kernel that writes more is
        stopped (:class:`autograder.isolation.disk_watch.DiskWatch`), so many files under the size limit cannot fill the
        grader's disk either.
    """

    cell_timeout: float = 30.0
    notebook_timeout: float = 600.0
    cpu_seconds: int = 600
    memory_bytes: int = 2 * 1024 ** 3
    max_processes: int = 64
    max_output_bytes: int = 1_000_000
    max_file_bytes: int = 64 * 1024 ** 2
    max_disk_bytes: int = 512 * 1024 ** 2

    def __post_init__(self):
        rules = {"cell_timeout": (float, 0.1, "seconds"), "notebook_timeout": (float, 0.1, "seconds"),
                 "cpu_seconds": (int, 1, "seconds"), "memory_bytes": (int, 64 * 1024 ** 2, "bytes"),
                 "max_processes": (int, 16, "processes and threads (a kernel alone runs about 10)"),
                 "max_output_bytes": (int, 1024, "bytes"), "max_file_bytes": (int, 1024 * 1024, "bytes"),
                 "max_disk_bytes": (int, 1024 * 1024, "bytes")}
        for name, (kind, least, unit) in rules.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or (kind is int and not float(value).is_integer()) or not value >= least:
                raise ValueError("Limits: %s must be %s >= %s %s, got %r"
                                 % (name, "an integer" if kind is int else "a number", least, unit, value))
            setattr(self, name, kind(value))


@dataclass(frozen=True)
class Support:
    """What this machine offers, probed once (:func:`probe`)."""

    bubblewrap: bool
    own_uid: bool
    rlimits: bool
    missing: tuple


@functools.lru_cache(maxsize=None)
def probe() -> Support:
    """Find out once which protections work here, and log a WARNING for each missing one.

    Bubblewrap counts only if a trial sandbox actually starts (it needs namespaces,
    which some containers forbid); a uid of its own needs root and ``setpriv``.
    """
    missing = []
    own_uid = os.geteuid() == 0 and SETPRIV is not None
    if os.geteuid() != 0:
        missing.append("a separate uid per notebook (the grader is not root; the kernel runs as uid %d)"
                       % os.geteuid())
    elif SETPRIV is None:
        missing.append("a separate uid per notebook (setpriv from util-linux not found)")
    rlimits = PRLIMIT is not None
    if not rlimits:
        missing.append("rlimits (prlimit from util-linux not found)")
    bubblewrap = False
    if BWRAP is None or not os.access(BWRAP, os.X_OK):
        missing.append("bubblewrap (bwrap not found; Debian package bubblewrap, `make install`)")
    else:
        trial = [BWRAP, *_namespace_args(own_uid), *_system_args(16 * 1024 * 1024), "--", "/bin/true"]
        try:
            done = subprocess.run(trial, capture_output=True, text=True, timeout=30)
            bubblewrap = done.returncode == 0
            reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "exit %d" % done.returncode
        except (OSError, subprocess.TimeoutExpired) as exc:
            reason = str(exc)
        if not bubblewrap:
            missing.append("bubblewrap (a trial sandbox failed: %s)" % reason)
    for what in missing:
        log.warning("sandbox: running without %s", what)
    return Support(bubblewrap, own_uid, rlimits, tuple(missing))


def active_protections() -> list:
    """The protections every notebook gets on this machine, for the log (probed once)."""
    support = probe()
    return _protection_names(support.bubblewrap, support.own_uid, support.rlimits)


def _protection_names(bubblewrap, own_uid, rlimits, limits=None, uid=None):
    names = []
    if bubblewrap:
        names += ["bubblewrap", "no-network", "pid-namespace", "ipc-namespace", "uts-namespace",
                  "mount-namespace (read-only system, only the working directory writable)",
                  "private /tmp", "new-session", "launch-guard"]
    else:
        names += ["no bubblewrap: the kernel sees this machine's files and network", "new-session",
                  "launch-guard"]
    if own_uid:
        names += ["unprivileged uid per notebook" + (" (%d)" % uid if uid else ""),
                  "no capabilities", "no-new-privileges", "kill every process of the uid"]
    else:
        names.append("uid %d (the grader's own)" % os.geteuid())
        names.append("kill the PID namespace" if bubblewrap
                     else "kill the process tree (a double-forked daemon can escape)")
    if rlimits:
        if limits is None:
            names += ["rlimit-as", "rlimit-cpu", "rlimit-nproc", "rlimit-fsize", "rlimit-core 0"]
        else:
            names += ["rlimit-as %s" % size_text(limits.memory_bytes), "rlimit-cpu %ds" % limits.cpu_seconds,
                      "rlimit-nproc %d" % limits.max_processes,
                      "rlimit-fsize %s" % size_text(limits.max_file_bytes), "rlimit-core 0"]
    else:
        names.append("no rlimits")
    if limits is not None:
        names += ["cell-timeout %gs" % limits.cell_timeout, "notebook-timeout %gs" % limits.notebook_timeout,
                  "output-cap %s" % size_text(limits.max_output_bytes),
                  "disk-cap %s" % size_text(limits.max_disk_bytes)]
    return names


_warned = set()


def _warn_once(message):
    if message not in _warned:
        _warned.add(message)
        log.warning(message)


def _uid_can_run(kernel_python, workdir):
    """Without bubblewrap's binds, can an unprivileged uid run ``kernel_python`` and reach
    ``workdir``? (Not if either lies under a private folder such as /root.)"""
    uid = _pick_uid()
    try:
        # through env: setpriv itself may exec with the capabilities it is about to drop
        done = subprocess.run([SETPRIV, "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups", "--",
                               "/usr/bin/env", kernel_python, "-I", "-S", "-c", "import os, sys; os.stat(sys.argv[1])",
                               str(workdir)], capture_output=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _namespace_args(own_uid):
    """Namespaces. As root bubblewrap runs privileged, keeping only the capabilities
    ``setpriv`` needs to drop to the notebook's uid; otherwise it makes a user namespace
    in which the kernel is uid 65534.

    No ``--new-session``: the launch already has a session of its own without a
    terminal (:meth:`Sandbox.popen_options`), and bubblewrap's init must stay in the
    launch's process group, which the launch guard's watcher SIGKILLs."""
    args = ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--hostname", "convgrade"]
    if os.geteuid() == 0:
        if own_uid:
            args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
    else:
        args += ["--unshare-user", "--uid", "65534", "--gid", "65534", "--disable-userns"]
    return args


@functools.lru_cache(maxsize=None)
def _system_args(tmpfs_bytes):
    """Read-only system, /etc pieces, /proc, /dev and the size-limited private tmpfs mounts."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in SYSTEM_DIRS:
        path = "/" + name
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for name in ETC_FILES:
        args += ["--ro-bind-try", "/etc/" + name, "/etc/" + name]
    args += ["--proc", "/proc", "--dev", "/dev"]
    for mount in ("/tmp", "/dev/shm", SANDBOX_HOME):
        args += ["--size", str(tmpfs_bytes), "--perms", "1777", "--tmpfs", mount]
    return tuple(args)


def _bind_args(paths, *, writable, made):
    """``--bind``/``--ro-bind`` each path at its own place, first creating its missing
    parents world-traversable (bubblewrap would make them 0700)."""
    args = []
    for path in paths:
        parents = []
        parent = os.path.dirname(path)
        while parent not in ("/", "") and parent not in made:
            parents.append(parent)
            parent = os.path.dirname(parent)
        for parent in reversed(parents):
            args += ["--perms", "0755", "--dir", parent]
            made.add(parent)
        args += ["--bind" if writable else "--ro-bind", path, path]
        made.add(path)
    return args


@dataclass(frozen=True)
class Interpreter:
    """The kernel's Python installation: the directories it needs outside ``/usr`` (its
    prefix, a venv, and the installation the venv points to) and its site-packages."""

    roots: tuple
    purelib: str


@functools.lru_cache(maxsize=None)
def interpreter(kernel_python):
    """Ask ``kernel_python`` once where it lives (:class:`Interpreter`)."""
    script = ("import sys, json, sysconfig; print(json.dumps([[sys.prefix, sys.base_prefix, sys.exec_prefix, "
              "sys.base_exec_prefix], sysconfig.get_paths()['purelib']]))")
    try:
        done = subprocess.run([kernel_python, "-I", "-c", script], capture_output=True, text=True, timeout=60,
                              env={"PATH": "/usr/bin:/bin"})
        prefixes, purelib = json.loads(done.stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        raise ValueError("kernel_python: %s could not report its installation (%s); it must be the "
                         "Python of the students' environment (.venv-student/bin/python, `make install`)"
                         % (kernel_python, exc)) from None
    roots = []
    for prefix in map(os.path.realpath, prefixes):
        if prefix == "/usr" or prefix.startswith("/usr/"):
            continue
        if not any(prefix == r or prefix.startswith(r + "/") for r in roots):
            roots = [r for r in roots if not r.startswith(prefix + "/")] + [prefix]
    return Interpreter(tuple(roots), purelib)


@functools.lru_cache(maxsize=None)
def _font_cache(kernel_python):
    """matplotlib's font list for ``kernel_python``, built once and kept in the grader's
    cache folder (every kernel would otherwise spend about 0.5 s building it); the file
    to copy into each kernel's MPLCONFIGDIR, or None without matplotlib.

    Keyed by the interpreter and its site-packages' modification time, so installing or
    upgrading a package makes a new one."""
    purelib = interpreter(kernel_python).purelib
    try:
        stamp = os.stat(purelib).st_mtime_ns
    except OSError:
        return None
    key = hashlib.sha1(("%s\0%s\0%d" % (kernel_python, purelib, stamp)).encode()).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "convgrade"
    folder = cache / ("fonts-" + key)
    found = sorted(folder.glob("fontlist-*.json"))
    if not found:
        try:
            cache.mkdir(parents=True, exist_ok=True)
            build = Path(tempfile.mkdtemp(prefix="build-", dir=cache))
        except OSError:  # no writable cache folder: one for this process
            build = folder = Path(tempfile.mkdtemp(prefix="convgrade-fonts-"))
            atexit.register(shutil.rmtree, build, True)
        try:
            subprocess.run([kernel_python, "-I", "-c", "import matplotlib.font_manager"], capture_output=True,
                           timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": str(build), "MPLCONFIGDIR": str(build)})
        except (OSError, subprocess.TimeoutExpired):
            pass
        if build != folder:
            try:
                build.rename(folder)  # atomic; another grader process may have won the race
            except OSError:
                shutil.rmtree(build, ignore_errors=True)
        found = sorted(folder.glob("fontlist-*.json"))
    return str(found[0]) if found else None


def _pick_uid():
    """A uid from :data:`UID_RANGE` that no process uses now."""
    rng = random.SystemRandom()
    for _ in range(100):
        uid = rng.randrange(*UID_RANGE)
        if not _processes_of(uid):
            return uid
    raise RuntimeError("sandbox: no free uid found in %r" % (UID_RANGE,))


def _processes_of(uid):
    """Pids of live (not zombie) processes whose real uid is ``uid``."""
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open("/proc/%s/status" % entry.name, "rb") as fh:
                status = fh.read().decode("ascii", "replace")
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        try:
            real_uid = int(fields.get("Uid", "").split()[0])
        except (IndexError, ValueError):
            continue
        if real_uid == uid and not fields.get("State", "").strip().startswith(("Z", "X")):
            pids.append(int(entry.name))
    return pids


class Sandbox:
    """The isolation of one notebook run.

    Use as a context manager: entering prepares the connection directory (sockets,
    connection file, matplotlib's font list) and hands the working directory to the
    notebook's uid; leaving ends every process and removes the connection directory.

    Parameters
    ----------
    workdir : Path
        The kernel's working directory, its only writable place that outlives it.
    kernel_python : Path
        The students' interpreter (``.venv-student/bin/python``).
    limits : Limits
    require_sandbox : bool
        Raise :class:`SandboxUnavailable` instead of running without bubblewrap.
    hidden_modules : dict of str to str
        ``{module: its folder in the students' environment}``: each folder is absent in
        the sandbox (an empty tmpfs is mounted over it), so the module's code cannot be
        reached by any means (a library an assignment bans). Needs bubblewrap.
    """

    def __init__(self, workdir, kernel_python, limits, *, require_sandbox=False, hidden_modules=()):
        self.workdir = Path(workdir).resolve()
        self._named_workdirs = {os.path.abspath(workdir), str(self.workdir)}  # as given, and resolved
        if not self.workdir.is_dir():
            raise ValueError("workdir: %s is not a directory" % workdir)
        self.kernel_python = os.path.abspath(kernel_python)
        if not os.access(self.kernel_python, os.X_OK):
            raise ValueError("kernel_python: %s is not an executable file (run `make install` for "
                             ".venv-student)" % kernel_python)
        self.limits = limits
        self.hidden_modules = dict(hidden_modules)
        self.support = probe()
        if require_sandbox and not self.support.bubblewrap:
            raise SandboxUnavailable("the sandbox is required but unavailable: %s"
                                     % "; ".join(m for m in self.support.missing if "bubblewrap" in m))
        self.own_uid = self.support.own_uid
        if self.own_uid and not self.support.bubblewrap and not _uid_can_run(self.kernel_python, self.workdir):
            self.own_uid = False
            _warn_once("sandbox: without bubblewrap an unprivileged uid cannot run %s or reach the "
                       "working directory; the kernel runs as the grader's uid %d" % (self.kernel_python, os.geteuid()))
        self.uid = None
        self.runtime = None
        self.protections = []
        self._owner = None
        self._lifeline = None  # (read end, write end): see autograder.isolation.launch_guard

    # -- lifecycle ---------------------------------------------------------------------
    def __enter__(self):
        # the kernel's sockets live here, and a Unix socket path has at most ~107 bytes
        base = tempfile.gettempdir()
        if len(base) > RUNTIME_BASE_MAX and os.path.isdir("/tmp"):
            base = "/tmp"
        self.runtime = Path(tempfile.mkdtemp(prefix="cgk-", dir=base))
        self._lifeline = os.pipe()  # both ends close-on-exec
        try:
            self._prepare()
        except BaseException:
            self.close()
            raise
        return self

    def _prepare(self):
        if self.own_uid:
            self.uid = _pick_uid()
        (self.runtime / "matplotlib").mkdir()
        fonts = _font_cache(self.kernel_python)
        if fonts:
            try:
                shutil.copy(fonts, self.runtime / "matplotlib" / os.path.basename(fonts))
            except OSError:  # the cache went away: matplotlib builds its own, slower
                pass
        if not self.support.bubblewrap:
            (self.runtime / "home").mkdir()
            (self.runtime / "tmp").mkdir()
        if self.uid is not None:
            for path in [self.runtime, *self.runtime.rglob("*")]:
                os.chown(path, self.uid, self.uid)
            stat = self.workdir.stat()
            self._owner = (stat.st_uid, stat.st_gid)
            os.chown(self.workdir, self.uid, self.uid)
            results = self.workdir / "results.jsonl"
            if results.exists() and not results.is_symlink():
                os.chown(results, self.uid, self.uid)
            # the grader's copies must be readable by the notebook's uid whatever the umask
            for folder, dirs, files in os.walk(self.workdir):
                for name, bits in [(d, 0o555) for d in dirs] + [(f, 0o444) for f in files]:
                    path = os.path.join(folder, name)
                    mode = os.lstat(path).st_mode
                    if not stat_module.S_ISLNK(mode):
                        os.chmod(path, stat_module.S_IMODE(mode) | bits)
        self.protections = _protection_names(self.support.bubblewrap, self.own_uid, self.support.rlimits,
                                             self.limits, self.uid)
        if self.hidden_modules:
            self.protections.append(("absent: %s" if self.support.bubblewrap else
                                     "not hidden (no bubblewrap): %s") % ", ".join(sorted(self.hidden_modules)))

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        """Remove what the kernel left in the working directory that is not a plain file or
        folder (a ``results.jsonl`` made a link to ``/dev/zero``, a FIFO the grader would
        block on), restore its owner and remove the connection directory."""
        try:
            entries = list(os.scandir(self.workdir))
        except OSError:
            entries = []
        for entry in entries:
            if not (entry.is_file(follow_symlinks=False) or entry.is_dir(follow_symlinks=False)):
                log.warning("sandbox: removed %s from the working directory: not a plain file", entry.name)
                try:
                    os.unlink(entry.path)
                except OSError:
                    pass
        if self._owner is not None:
            try:
                os.chown(self.workdir, *self._owner)
            except OSError:
                pass
            self._owner = None
        if self.runtime is not None:
            remove_tree(self.runtime)
            self.runtime = None
        if self._lifeline is not None:
            for end in self._lifeline:  # the guard's watcher ends what is left of the launch, then itself
                os.close(end)
            self._lifeline = None

    # -- what the kernel manager needs --------------------------------------------------
    @property
    def kernel_workdir(self):
        """The working directory as the kernel sees it."""
        return SANDBOX_WORKDIR if self.support.bubblewrap else str(self.workdir)

    @property
    def socket_prefix(self):
        """ZeroMQ ipc path prefix: the same on both sides (the directory is bound at its own path)."""
        return str(self.runtime / "kernel")

    @property
    def connection_file(self):
        return str(self.runtime / "connection.json")

    def kernel_command(self, extra_arguments=()):
        """The full command: the launch guard, bubblewrap (if available), then setpriv,
        prlimit and the kernel."""
        limits = self.limits
        command = [sys.executable, "-I", "-S", LAUNCH_GUARD, str(self._lifeline[0])]
        if self.support.bubblewrap:
            python = interpreter(self.kernel_python)
            made = {"/tmp", "/usr", "/dev", "/proc", SANDBOX_HOME}
            hidden = [os.path.join(python.purelib, name) for name in HIDDEN_PACKAGES]
            hidden += list(self.hidden_modules.values())
            command += [BWRAP, *_namespace_args(self.own_uid), *_system_args(limits.max_file_bytes),
                        *_bind_args(python.roots, writable=False, made=made),
                        *[arg for path in hidden if os.path.isdir(path) for arg in ("--tmpfs", path)],
                        "--bind", str(self.workdir), SANDBOX_WORKDIR,
                        *_bind_args([str(self.runtime)], writable=True, made=made),
                        "--chdir", SANDBOX_WORKDIR, "--remount-ro", "/", "--"]
        if self.uid is not None:
            command += [SETPRIV, "--reuid=%d" % self.uid, "--regid=%d" % self.uid, "--clear-groups",
                        "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
        if self.support.rlimits:
            command += [PRLIMIT, "--as=%d" % limits.memory_bytes,
                        "--cpu=%d:%d" % (limits.cpu_seconds, limits.cpu_seconds + 5),
                        "--nproc=%d" % limits.max_processes, "--fsize=%d" % limits.max_file_bytes,
                        "--core=0", "--"]
        command += [self.kernel_python, "-m", "ipykernel_launcher", "-f", self.connection_file,
                    *extra_arguments]
        return command

    def kernel_env(self, env):
        """The kernel's whole environment: a minimal base, then ``env`` with every
        mention of the host working directory translated to the kernel's view."""
        bare = not self.support.bubblewrap
        home = str(self.runtime / "home") if bare else SANDBOX_HOME
        tmp = str(self.runtime / "tmp") if bare else "/tmp"
        prefix = os.path.dirname(os.path.dirname(self.kernel_python))
        full = {"PATH": "%s/bin:/usr/local/bin:/usr/bin:/bin" % prefix, "HOME": home, "TMPDIR": tmp,
                "USER": "student", "LOGNAME": "student", "LANG": "C.UTF-8", "PYTHONNOUSERSITE": "1",
                "PYTHONDONTWRITEBYTECODE": "1", "IPYTHONDIR": home + "/.ipython",
                "MPLCONFIGDIR": str(self.runtime / "matplotlib"), "JUPYTER_PLATFORM_DIRS": "1",
                "PYDEVD_DISABLE_FILE_VALIDATION": "1", **THREAD_ENV}
        for key, value in env.items():
            value = str(value).replace("{workdir}", self.kernel_workdir)
            for host in self._named_workdirs:
                if value == host or value.startswith(host + "/"):
                    value = self.kernel_workdir + value[len(host):]
                    break
            full[str(key)] = value
        return full

    def popen_options(self):
        """Extra ``subprocess.Popen`` arguments for the launch (through jupyter_client).

        The kernel starts a session of its own, so a signal to the grader's process group
        does not reach it; instead it gets SIGKILL when the grader dies (see
        :func:`die_with_parent` and :mod:`autograder.isolation.launch_guard`, which alone inherits
        the read end of this sandbox's lifeline)."""
        return {"cwd": "/" if self.support.bubblewrap else str(self.workdir), "start_new_session": True,
                "preexec_fn": die_with_parent(), "pass_fds": (self._lifeline[0],)}

    # -- the end ---------------------------------------------------------------------------
    def end_processes(self, process, grace=5.0):
        """SIGKILL everything the notebook started and reap the kernel. Returns the pids
        still alive (none expected; the caller logs them).

        With a uid of its own: every process of that uid. Otherwise the kernel's process
        tree, found before the kernel dies (its orphans would be re-parented away), and its
        process group; in bubblewrap, the PID namespace ends with its init."""
        tree = _descendants(process.pid) if process is not None and self.uid is None else []
        if process is not None:
            for kill in (lambda: os.killpg(process.pid, signal.SIGKILL), process.kill,
                         *[functools.partial(os.kill, pid, signal.SIGKILL) for pid in tree]):
                try:
                    kill()
                except OSError:
                    pass
        survivors = []
        if self.uid is not None:
            survivors = kill_uid(self.uid, grace)
        if process is not None:
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                survivors.append(process.pid)
        return survivors


def _descendants(root):
    """Pids of every live descendant of ``root`` (from the parent pids in /proc)."""
    children = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open("/proc/%s/stat" % entry.name, "rb") as fh:
                    stat = fh.read().decode("ascii", "replace")
            except OSError:
                continue
            parent = int(stat[stat.rindex(")") + 2:].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_uid(uid, grace=5.0):
    """SIGKILL every process of ``uid`` (one of :data:`UID_RANGE`, never a real user's)
    until none is left or ``grace`` seconds pass; returns the pids still alive.

    ``kill(-1, SIGKILL)`` run *as that uid* reaches all its processes at once, in every
    PID namespace below ours, so a fork loop cannot outrun a scan-and-kill."""
    if not UID_RANGE[0] <= uid < UID_RANGE[1]:
        raise ValueError("kill_uid: uid %r is not a sandbox uid %r" % (uid, UID_RANGE))
    deadline = time.monotonic() + grace
    command = [KILL, "-s", "KILL", "--", "-1"] if KILL else \
        [sys.executable, "-I", "-S", "-c", "import os, signal; os.kill(-1, signal.SIGKILL)"]
    while True:
        try:
            subprocess.run(command, user=uid, group=uid, extra_groups=[], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=grace, check=False)
        except (OSError, subprocess.SubprocessError):
            for pid in _processes_of(uid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        time.sleep(0.005)  # SIGKILLed processes leave the process list a moment later
        pids = _processes_of(uid)
        if not pids or time.monotonic() > deadline:
            return pids


_PR_SET_PDEATHSIG = 1


def die_with_parent():
    """A ``preexec_fn`` that makes the child get SIGKILL when this process dies.

    bubblewrap's own ``--die-with-parent`` is set only once bwrap runs: a grader killed
    between fork and that moment would leave the sandbox running. Set before exec, and
    checked against the pid that forked, no such window is left for the launched process
    itself (:mod:`autograder.isolation.launch_guard` covers what this cannot: bubblewrap's own
    set-up). ``prctl`` is looked up here, in the parent, so the child between fork and
    exec only calls it."""
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def arrange():
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the grader died before the signal was armed
            os._exit(1)

    return arrange
