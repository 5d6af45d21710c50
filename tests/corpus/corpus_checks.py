"""What the corpus tests (and ``benchmarks/stock_nbgrader_corpus.py``) look at after a
batch: the files of a course, the gradebook's rows and structure, and the processes a
batch may have left behind. Plain functions of paths and databases, no pytest."""
from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONVGRADE = Path(sys.executable).parent / "convgrade"
#: nbgrader's tables that grading must never change (what was released, who is enrolled).
STRUCTURE_TABLES = ("course", "assignment", "notebook", "base_cell", "grade_cells", "solution_cells",
                    "task_cells", "source_cell", "student", "alembic_version")


def convgrade(course, *args, timeout=900, env=None, check=False):
    """Run the installed ``convgrade --course COURSE ARGS``; returns the CompletedProcess.

    It runs in a session of its own, so everything it starts can be found (and, in a
    test's clean-up, ended) by its process group."""
    run_env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
    proc = subprocess.run([str(CONVGRADE), "--course", str(course), *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=run_env, start_new_session=True)
    if check and proc.returncode != 0:
        raise AssertionError("convgrade %s failed (%d):\n%s\n%s" % (" ".join(map(str, args)), proc.returncode,
                                                                   proc.stdout[-3000:], proc.stderr[-3000:]))
    return proc


def start_convgrade(course, *args, env=None):
    """``convgrade --course COURSE ARGS`` started in its own session (a Popen)."""
    run_env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
    return subprocess.Popen([str(CONVGRADE), "--course", str(course), *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=run_env, start_new_session=True)


def copy_course(template, target):
    """A copy of the course ``template`` at ``target`` (returned)."""
    import shutil

    shutil.copytree(template, target, symlinks=True)
    return Path(target)


def require_sandbox():
    """Skip, saying why, where bubblewrap cannot run: hostile notebooks are never run
    without it (``convgrade autograde`` itself refuses to)."""
    import pytest

    from autograder.isolation.sandbox import active_protections

    if "bubblewrap" not in active_protections():
        pytest.skip("bubblewrap is not usable on this machine (install Debian's bubblewrap: make install); "
                    "the corpus runs hostile notebooks only inside the sandbox")


def tree_digest(folder):
    """``{relative path: sha256}`` of every file under ``folder`` (symlinks by their target text)."""
    folder = Path(folder)
    digests = {}
    if not folder.exists():
        return digests
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            digests[rel] = "link:" + os.readlink(path)
        elif path.is_file():
            digest = hashlib.sha256()
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
            digests[rel] = digest.hexdigest()
    return digests


def query(db_path, sql, *params):
    """Rows of ``sql`` on the SQLite file ``db_path`` (opened read-only)."""
    uri = "file:%s?mode=ro" % db_path
    with sqlite3.connect(uri, uri=True, timeout=30) as db:
        return db.execute(sql, params).fetchall()


def gradebook_structure(db_path):
    """``{table: sorted rows}`` of :data:`STRUCTURE_TABLES` (those the database has)."""
    tables = {name for (name,) in query(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {t: sorted(map(repr, query(db_path, "SELECT * FROM %s" % t))) for t in STRUCTURE_TABLES if t in tables}


def submission_rows(db_path, assignment):
    """``{student: (status, score, max_score, detail)}`` of convgrade's table, and the
    number of rows per student (to find duplicates)."""
    rows = query(db_path, "SELECT student, status, score, max_score, detail FROM convgrade_submission "
                          "WHERE assignment = ?", assignment)
    counts = {}
    for row in rows:
        counts[row[0]] = counts.get(row[0], 0) + 1
    return {r[0]: r[1:] for r in rows}, counts


def nbgrader_scores(db_path, assignment):
    """``{(student, grade_id): auto_score}`` from nbgrader's own tables."""
    rows = query(db_path, """
        SELECT sa.student_id, gc.name, g.auto_score
        FROM grade g
        JOIN submitted_notebook sn ON g.notebook_id = sn.id
        JOIN submitted_assignment sa ON sn.assignment_id = sa.id
        JOIN assignment a ON sa.assignment_id = a.id
        JOIN base_cell gc ON g.cell_id = gc.id
        WHERE a.name = ?""", assignment)
    return {(student, gid): score for student, gid, score in rows}


def item_scores(db_path, assignment):
    """``{(student, grade_id): score}`` from convgrade's item table."""
    rows = query(db_path, "SELECT student, grade_id, score FROM convgrade_item WHERE assignment = ?", assignment)
    return {(student, gid): score for student, gid, score in rows}


def _read(path):
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return b""


def processes_matching(markers=(), students=(), workdir_prefixes=()):
    """Live processes that belong to a corpus run: a command line holding one of
    ``markers``, a ``CONVGRADE_STUDENT`` of one of ``students`` in the environment, or
    a command line naming a grading working directory ``/tmp/convgrade-<student>-``.

    Returns ``[(pid, command line)]``; this process and zombies are left out."""
    wanted_env = [("CONVGRADE_STUDENT=%s" % s).encode() for s in students]
    wanted_cmd = [m.encode() for m in markers] + [("/convgrade-%s-" % p).encode() for p in workdir_prefixes]
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        status = _read("/proc/%s/stat" % entry.name)
        if not status or status[status.rfind(b")") + 2:][:1] in (b"Z", b"X"):
            continue
        cmdline = _read("/proc/%s/cmdline" % entry.name)
        environ = _read("/proc/%s/environ" % entry.name)
        if any(m in cmdline for m in wanted_cmd) or any(e in environ.split(b"\0") for e in wanted_env):
            found.append((int(entry.name), cmdline.replace(b"\0", b" ").decode("utf-8", "replace").strip()))
    return found


def kill_pids(pids):
    """SIGKILL the processes ``pids`` (ones a corpus run started; nothing else)."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def group_alive(pgid):
    """Pids still alive in process group ``pgid``."""
    alive = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            status = _read("/proc/%s/stat" % entry.name)
            if not status:
                continue
            fields = status[status.rfind(b")") + 2:].split()
            if fields and fields[0] not in (b"Z", b"X") and len(fields) > 2 and int(fields[2]) == pgid:
                alive.append(int(entry.name))
    return alive


def notebook_text(path):
    """All text outputs (streams, plain-text results, errors) of a notebook file, joined."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "stream":
                parts.append(output.get("text", ""))
            elif output.get("output_type") == "error":
                parts.append("%s: %s" % (output.get("ename", ""), output.get("evalue", "")))
            else:
                parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(p if isinstance(p, str) else "".join(p) for p in parts)
