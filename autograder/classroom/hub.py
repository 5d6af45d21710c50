"""A classroom on JupyterHub, on this machine: ``convgrade hub`` and ``make hub``.

:class:`Classroom` creates throw-away Unix users (a teacher and students, named
``cghub_<random>_<role>``, with random passwords), a course folder the teacher owns (a copy
of ``source/``, released by the teacher), nbgrader's exchange, and starts JupyterHub with its
configurable-http-proxy (``.hub/node_modules``, from ``make install``) on 127.0.0.1.
People log in with their Unix password (JupyterHub's PAM authenticator). Each one's
JupyterLab runs as that Unix user, on loopback:

- students: home folder, kernels from ``.venv-student`` (no ``reference``, no ``autograder``),
  nbgrader's Assignments tab (fetch, validate, submit, fetch feedback), no formgrader;
- the teacher: the course folder, formgrader at ``/user/TEACHER/formgrader`` (in the
  teacher's own server, not a hub service: nbgrader #1870, #1947).

The exchange (``Exchange.root``): the root ``1777``; ``COURSE/inbound`` ``3733``, group the
teachers' group (students hand in, nobody lists, nobody renames another's hand-in); each
hand-in ``2750``/``0640`` (:class:`autograder.classroom.exchange.PrivateSubmit`), so no
student reads or writes another's. The teacher releases the assignments with nbgrader.

Stopping ends the hub, the proxy, every server and kernel, and every process of the users
it made, then removes the users, their homes and the runtime folder. Run as root (creating
users and PAM need it).
"""
from __future__ import annotations

import grp
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from autograder.classroom.lab import OFFLINE_SETTINGS, _end_with_parent, free_loopback_port
from autograder.classroom.processes import (end_process_group, kill_leftovers, live_processes,
                                            serve_until_interrupted)
from autograder.course import REPOSITORY_ROOT, Course
from autograder.errors import ConvgradeError, SetupError

PROXY = REPOSITORY_ROOT / ".hub" / "node_modules" / ".bin" / "configurable-http-proxy"
USER_PREFIX = "cghub_"
COURSE_ID = "convgrade"
DEFAULT_STUDENTS = ("ada", "ben", "cy")
_SHORT_NAME = re.compile(r"^[a-z][a-z0-9]{0,11}$")
#: Lab's offline switches, as in ``convgrade lab``; and no formgrader or assignment creation for students.
STUDENT_PAGE_CONFIG = {"disabledExtensions": {"@jupyter/nbgrader:formgrader": True,
                                              "@jupyter/nbgrader:create-assignment": True}}
LAB_ARGS = ["--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly"]


@dataclass(frozen=True)
class Account:
    """A Unix user the classroom made: ``role`` is ``"teacher"`` or the student's short name."""

    name: str
    password: str
    role: str

    @property
    def is_teacher(self):
        return self.role == "teacher"


def _run(argv, **kwargs):
    """Run a system command; a failure is a :class:`ConvgradeError` with its output."""
    done = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if done.returncode:
        raise ConvgradeError("%s failed (exit %d): %s"
                             % (argv[0], done.returncode, (done.stderr or done.stdout)[-500:]))
    return done


def _usable_by_all(path):
    """Whether any user may run ``path``: it and every folder above it are executable by others."""
    path = Path(os.path.realpath(path))
    return all(os.stat(p).st_mode & 0o001 for p in [path, *path.parents])


def shared_interpreter(target):
    """A Python of this version that every user may run: this one, or else a copy of its
    installation at ``target`` (standard library, ``libpython``; hard links where possible),
    for an installation other users cannot reach (pyenv's, under root's home)."""
    here = Path(os.path.realpath(sys.executable))
    if _usable_by_all(here):
        return here
    base, name = Path(sys.base_prefix), "python%d.%d" % sys.version_info[:2]
    (target / "bin").mkdir(parents=True)
    (target / "lib" / name).mkdir(parents=True)
    for entry in (base / "lib" / name).iterdir():
        if entry.name not in ("site-packages", "test"):  # the environments bring their own packages
            _link_copy(entry, target / "lib" / name / entry.name)
    for library in (base / "lib").glob("libpython*"):
        _link_copy(library, target / "lib" / library.name)
    # The interpreter finds libpython through its RUNPATH, the original folder: point it at ours
    # ($ORIGIN/../lib, no longer than the old path, padded in place in the string table).
    binary = (base / "bin" / name).read_bytes()
    old = b"\0" + str(base / "lib").encode() + b"\0"
    new = b"\0$ORIGIN/../lib"
    if old in binary and len(new) < len(old):
        binary = binary.replace(old, new + b"\0" * (len(old) - len(new)))
    interpreter = target / "bin" / name
    interpreter.write_bytes(binary)
    interpreter.chmod(0o755)
    _open_to_all(target)
    return interpreter


def _link_copy(source, target):
    """``source`` (a file or folder) at ``target``: hard links, or a copy across file systems."""
    if subprocess.run(["cp", "-al", str(source), str(target)], capture_output=True).returncode:
        shutil.rmtree(target, ignore_errors=True)
        if Path(source).is_dir():
            shutil.copytree(source, target, symlinks=True)
        else:
            shutil.copy2(source, target)


def _open_to_all(folder):
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)


def python_view(venv, target, interpreter, *, whole=False):
    """A virtual environment at ``target`` with the packages of ``venv`` on ``interpreter``;
    returns its ``bin/python``. Other users can run it where ``venv``'s own Python is out of
    their reach. ``whole``: the packages as hard links (else a copy) inside ``target``, for
    the sandbox, which binds the environment's folder and nothing it links to; otherwise links."""
    venv, target = Path(venv), Path(target)
    (target / "bin").mkdir(parents=True)
    version = subprocess.run([str(interpreter), "-c", "import platform; print(platform.python_version())"],
                             capture_output=True, text=True, check=True).stdout.strip()
    _write(target / "pyvenv.cfg", "home = %s\ninclude-system-site-packages = false\nversion = %s\n"
           % (interpreter.parent, version))
    (target / "bin" / "python").symlink_to(interpreter)
    # the environment's commands (alembic, which nbgrader runs, jupyter, ...) on this Python
    for script in (venv / "bin").iterdir():
        if script.name.startswith("python") or not script.is_file() or script.is_symlink():
            continue
        with open(script, "rb") as file:
            first = file.readline()
            if not first.startswith(b"#!" + bytes(venv / "bin")):
                continue
            _write(target / "bin" / script.name, "#!%s\n%s" % (target / "bin" / "python",
                                                                file.read().decode("utf-8", "replace")), mode=0o755)
    for part in ("lib", "etc", "share"):  # etc/ and share/: Jupyter's extensions, JupyterLab itself
        if (venv / part).is_dir():
            if whole:
                _link_copy(venv / part, target / part)
            else:
                (target / part).symlink_to((venv / part).resolve())
    _open_to_all(target)
    return target / "bin" / "python"


def code_view(view, target):
    """convgrade's own packages (``autograder``, ``reference``, ``convgrade_kernel``) as hard
    links at ``target``, first on the path of the environment ``view`` (a ``.pth`` file in its
    copied ``site-packages``), for a checkout other users cannot reach: the editable install's
    finder would point them into it."""
    target.mkdir(parents=True)
    for package in ("autograder", "reference"):
        _link_copy(REPOSITORY_ROOT / package, target / package)
    _link_copy(REPOSITORY_ROOT / "autograder" / "kernel", target / "convgrade_kernel")
    _open_to_all(target)
    for site in Path(view).glob("lib/python*/site-packages"):
        _write(site / "00-convgrade-hub.pth", "%s\n" % target)


def _write(path, text, mode=0o644):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


class Classroom:
    """JupyterHub for one course, with real Unix users; ``with Classroom(...) as hub:``.

    Parameters
    ----------
    course_root : path
        The course: its ``source/`` is copied, nothing of it changed.
    students : sequence of str
        Short names; the Unix user of ``ada`` is ``cghub_<random>_ada``.
    assignments : sequence of str
        Released by the teacher at start (``convgrade release``, then nbgrader's ``release_assignment``).
    port : int, optional
        The hub's port on 127.0.0.1 (default: a free one).

    After start: ``url``, ``teacher`` and ``students`` (:class:`Account`), ``course_dir``
    (the teacher's course), ``exchange`` (``Exchange.root``), ``runtime`` (everything else).
    """

    def __init__(self, course_root, *, students=DEFAULT_STUDENTS, assignments=("ps2",), port=None,
                 startup_timeout=120):
        self.source_course = Course(course_root)
        for name in students:
            if not _SHORT_NAME.match(name) or name == "teacher":
                raise ConvgradeError("--students: %r is not a short name (1-12 lower-case letters and digits, "
                                     "starting with a letter, not 'teacher')" % name)
        if not students or len(set(students)) != len(students):
            raise ConvgradeError("--students must name at least one student, each once, got %r" % ",".join(students))
        for name in assignments:
            self.source_course.require_assignment(name)
        self.assignments = tuple(assignments)
        self.port = port or free_loopback_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.startup_timeout = startup_timeout
        tag = secrets.token_hex(3)
        self.group = "%s%s_teachers" % (USER_PREFIX, tag)
        self.teacher = Account("%s%s_teacher" % (USER_PREFIX, tag), secrets.token_urlsafe(9), "teacher")
        self.students = [Account("%s%s_%s" % (USER_PREFIX, tag, s), secrets.token_urlsafe(9), s) for s in students]
        self.runtime = None
        self.python = self.student_python = None  # the environments' Pythons every user may run
        self.process = None
        self._made_users = []
        self._made_group = False
        self._uids = set()

    accounts = property(lambda self: [self.teacher, *self.students])
    course_dir = property(lambda self: self.runtime / "course")
    exchange = property(lambda self: self.runtime / "exchange")
    inbound = property(lambda self: self.exchange / COURSE_ID / "inbound")
    log_path = property(lambda self: self.runtime / "jupyterhub.log")

    # -- start -------------------------------------------------------------------------------
    def start(self):
        """Users, course, exchange, release, hub; on any failure all of it is undone."""
        if os.geteuid() != 0:
            raise SetupError("convgrade hub must run as root: it creates Unix users and JupyterHub "
                             "starts each person's server as that user")
        if not PROXY.exists():
            raise SetupError("configurable-http-proxy is missing (%s); run `make install`" % PROXY)
        try:
            self.runtime = Path(tempfile.mkdtemp(prefix="convgrade-hub-"))
            self.runtime.chmod(0o755)  # each user's server reads its configuration here
            interpreter = shared_interpreter(self.runtime / "python" / "base")
            # a checkout or environment other users cannot reach (a folder of mode 0700 above it)
            # is viewed through hard links in the runtime folder, which everyone may enter
            reachable = _usable_by_all(sys.prefix) and _usable_by_all(REPOSITORY_ROOT)
            self.python = python_view(sys.prefix, self.runtime / "python" / "grader", interpreter,
                                      whole=not reachable)
            if not reachable:
                code_view(self.python.parent.parent, self.runtime / "python" / "code")
            self.student_python = python_view(self.source_course.student_python.parent.parent,
                                              self.runtime / "python" / "student", interpreter, whole=True)
            self._make_users()
            self._make_course()
            self._make_exchange()
            for name in self.assignments:  # the teacher's two steps: generate (and enter the gradebook), publish
                self.convgrade("release", name)
                self.as_user(self.teacher, [self.python, "-m", "nbgrader", "release_assignment", name],
                             cwd=self.course_dir)
            self._write_hub_config()
            with open(self.log_path, "wb") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "jupyterhub", "-f", str(self.runtime / "jupyterhub_config.py")],
                    cwd=self.runtime, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                    preexec_fn=_end_with_parent)
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _make_users(self):
        _run(["groupadd", self.group])
        self._made_group = True
        for account in self.accounts:
            extra = ["-G", self.group] if account.is_teacher else []
            _run(["useradd", "--create-home", "--shell", "/bin/bash", *extra, account.name])
            self._made_users.append(account.name)
            self._uids.add(pwd.getpwnam(account.name).pw_uid)
            _run(["chpasswd"], input="%s:%s\n" % (account.name, account.password))

    def _nbgrader_config(self):
        """The course's nbgrader settings every server and convgrade command shares."""
        return ("c = get_config()  # noqa: F821\n"
                "c.CourseDirectory.course_id = %r\n"
                "c.Exchange.root = %r\n"
                "c.ExchangeFactory.submit = 'autograder.classroom.exchange.PrivateSubmit'\n"
                % (COURSE_ID, str(self.exchange)))

    def _make_course(self):
        shutil.copytree(self.source_course.source_dir, self.course_dir / "source")
        _write(self.course_dir / "nbgrader_config.py", self._nbgrader_config())
        teacher = pwd.getpwnam(self.teacher.name)
        _run(["chown", "-R", "%d:%d" % (teacher.pw_uid, teacher.pw_gid), str(self.course_dir)])
        self.course_dir.chmod(0o700)  # grades and every hand-in: the teacher's alone
        # Each role's Jupyter configuration: nbgrader's course settings, Lab offline.
        for role in ("teacher", "student"):
            config = self.runtime / "config" / role
            course_root = "c.CourseDirectory.root = %r\n" % str(self.course_dir) if role == "teacher" else ""
            _write(config / "nbgrader_config.py", self._nbgrader_config() + course_root)
            _write(config / "labconfig" / "default_setting_overrides.json", json.dumps(OFFLINE_SETTINGS))
        student = self.runtime / "config" / "student"
        _write(student / "labconfig" / "page_config.json", json.dumps(STUDENT_PAGE_CONFIG))
        _write(student / "jupyter_server_config.json", json.dumps(
            {"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": False}}}))
        # A kernel spec named python3 earlier on JUPYTER_PATH shadows the server's own (as `convgrade lab --student`).
        _write(self.runtime / "data" / "student" / "kernels" / "python3" / "kernel.json", json.dumps({
            "argv": [str(self.student_python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (convgrade student)", "language": "python"}))
        for folder in (self.runtime / "config", self.runtime / "data"):
            for path in [folder, *folder.rglob("*")]:
                if path.is_dir():
                    path.chmod(0o755)

    def _make_exchange(self):
        gid = grp.getgrnam(self.group).gr_gid
        teacher = pwd.getpwnam(self.teacher.name).pw_uid
        self.exchange.mkdir()
        self.exchange.chmod(0o1777)  # nbgrader insists on 777; the sticky bit keeps others' entries
        course = self.exchange / COURSE_ID
        course.mkdir()
        os.chown(course, teacher, gid)
        course.chmod(0o755)
        self.inbound.mkdir()
        os.chown(self.inbound, teacher, gid)
        # write and enter, never list; hand-ins take the teachers' group; none renames another's
        self.inbound.chmod(0o3733)

    def _write_hub_config(self):
        homes = {a.name: (str(self.course_dir) if a.is_teacher else pwd.getpwnam(a.name).pw_dir)
                 for a in self.accounts}
        env = {account.name: self.environment(account) for account in self.accounts}
        api_port, hub_port = free_loopback_port(), free_loopback_port()
        text = f"""# Written by convgrade hub; removed when it stops.
c = get_config()  # noqa: F821
c.JupyterHub.bind_url = {self.url + '/'!r}
c.JupyterHub.hub_bind_url = 'http://127.0.0.1:{hub_port}'
c.JupyterHub.db_url = {'sqlite:///' + str(self.runtime / 'jupyterhub.sqlite')!r}
c.JupyterHub.cookie_secret_file = {str(self.runtime / 'jupyterhub_cookie_secret')!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
c.ConfigurableHTTPProxy.command = [{str(PROXY)!r}]
c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{api_port}'
c.ConfigurableHTTPProxy.pid_file = {str(self.runtime / 'proxy.pid')!r}
c.JupyterHub.authenticator_class = 'pam'
c.PAMAuthenticator.open_sessions = False
c.Authenticator.allowed_users = {set(homes)!r}
c.Authenticator.admin_users = {{{self.teacher.name!r}}}
c.Spawner.cmd = [{str(self.python)!r}, '-m', 'jupyterhub.singleuser']
c.Spawner.args = {LAB_ARGS!r}
c.Spawner.ip = '127.0.0.1'
c.Spawner.default_url = '/lab'
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
ROOT_DIRS = {homes!r}
ENVIRONMENTS = {env!r}


def per_person(spawner):
    # the teacher works in the course (formgrader), students in their home; each with their role's Jupyter config
    spawner.notebook_dir = ROOT_DIRS[spawner.user.name]
    spawner.environment.update(ENVIRONMENTS[spawner.user.name])


c.Spawner.pre_spawn_hook = per_person
"""
        _write(self.runtime / "jupyterhub_config.py", text, mode=0o600)

    def environment(self, account):
        """What ``account``'s server and commands add to their environment: their role's Jupyter
        configuration and kernels, and the students' Python for convgrade's sandbox."""
        role = "teacher" if account.is_teacher else "student"
        return {"JUPYTER_CONFIG_PATH": str(self.runtime / "config" / role),
                "JUPYTER_PATH": str(self.runtime / "data" / role),
                "CONVGRADE_STUDENT_PYTHON": str(self.student_python)}

    def _wait_until_ready(self):
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ConvgradeError("JupyterHub exited with code %d while starting: %s"
                                     % (self.process.returncode, self.log_tail()))
            try:
                with urllib.request.urlopen(self.url + "/hub/api", timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        raise ConvgradeError("JupyterHub did not answer on %s within %d s: %s"
                             % (self.url, self.startup_timeout, self.log_tail()))

    def log_tail(self, chars=1500):
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except (OSError, TypeError):
            return ""

    # -- acting as a user --------------------------------------------------------------------
    def as_user(self, account, argv, *, cwd=None, check=True):
        """Run ``argv`` as ``account``'s Unix user (``runuser``), with their home and no root
        environment; returns the :class:`subprocess.CompletedProcess` (text)."""
        home = pwd.getpwnam(account.name).pw_dir
        env = {"HOME": home, "USER": account.name, "LOGNAME": account.name, "LANG": "C.UTF-8",
               "PATH": os.pathsep.join([str(self.python.parent), "/usr/bin", "/bin"]), **self.environment(account)}
        done = subprocess.run([shutil.which("runuser") or "runuser", "-u", account.name, "--", *map(str, argv)],
                              cwd=cwd or home, env=env,
                              capture_output=True, text=True)
        if check and done.returncode:
            raise ConvgradeError("%s as %s failed (exit %d): %s" % (" ".join(map(str, argv[:4])), account.name,
                                                                    done.returncode, done.stderr[-800:]))
        return done

    def convgrade(self, *args, check=True):
        """``convgrade --course COURSE ARGS`` as the teacher's Unix user."""
        return self.as_user(self.teacher, [self.python, "-m", "autograder.cli", "--course", str(self.course_dir),
                                           *args], cwd=self.course_dir, check=check)

    # -- stop --------------------------------------------------------------------------------
    def stop(self):
        """End the hub (it stops the servers and the proxy), then every process left of it or of
        the users it made; remove the users, their homes, the group and the runtime folder."""
        end_process_group(self.process, grace=30)
        kill_leftovers(self.leftover_processes, seconds=15)
        for name in reversed(self._made_users):
            subprocess.run(["userdel", "--remove", name], capture_output=True)
        self._made_users = []
        if self._made_group:
            subprocess.run(["groupdel", self.group], capture_output=True)
            self._made_group = False
        if self.runtime is not None:
            shutil.rmtree(self.runtime, ignore_errors=True)

    def _proxy_pid(self):
        try:
            return int((self.runtime / "proxy.pid").read_text().strip())
        except (OSError, ValueError, TypeError):
            return None

    def leftover_processes(self):
        """Live processes of this classroom: the hub's process group, the proxy, and any process
        of a user it made. Zombies, which nothing can end, are left out."""
        if self.process is None and not self._uids:
            return []
        group = self.process.pid if self.process is not None else None
        proxy = self._proxy_pid() if self.runtime is not None else None
        return live_processes(lambda pid, pgrp, proc: pgrp == group or pid == proxy or proc.stat().st_uid in self._uids)

    def users_left(self):
        """Names of the Unix users this classroom made that still exist."""
        left = []
        for account in self.accounts:
            try:
                pwd.getpwnam(account.name)
                left.append(account.name)
            except KeyError:
                pass
        return left

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def login_page(self):
        """What ``convgrade hub`` prints: the URL and each account."""
        lines = ["JupyterHub for course %r, on loopback only: %s/hub/login" % (COURSE_ID, self.url), "",
                 "  %-28s %-14s %s" % ("user", "password", "role")]
        for account in self.accounts:
            lines.append("  %-28s %-14s %s" % (account.name, account.password,
                                                "teacher (formgrader: /user/%s/formgrader)" % account.name
                                                if account.is_teacher else "student"))
        lines += ["", "Released to the exchange: %s. The teacher's course: %s" % (", ".join(self.assignments),
                                                                               self.course_dir),
                  "As the teacher: runuser -u %s -- %s --course %s collect NAME"
                  % (self.teacher.name, self.python.parent / "convgrade", self.course_dir)]
        return "\n".join(lines)


def run_hub(course_root, *, students=DEFAULT_STUDENTS, assignments=("ps2",), port=None):
    """``convgrade hub``: start the classroom, print the login page, serve until Ctrl-C."""
    classroom = Classroom(course_root, students=students, assignments=assignments, port=port)
    with classroom:
        print(classroom.login_page(), flush=True)
        print("Press Ctrl-C to stop (ends every server and removes these users).", flush=True)
        if serve_until_interrupted(classroom.process, "stopping JupyterHub and removing its users"):
            return 0
        crashed = "JupyterHub stopped by itself (exit code %d): %s" % (classroom.process.returncode,
                                                                      classroom.log_tail())
    raise ConvgradeError(crashed)
