"""The attacks on ``convgrade collect`` (issue 9) against stock nbgrader and against
convgrade, side by side; the figures of ``docs/reliability.md``.

Three tables, printed as markdown:

- **zip bombs**: peak memory (``ru_maxrss`` of the ``convgrade collect`` process) and
  peak disk growth of the course while it runs, for bombs of 12 and 24 entries of
  120 MB of zeros and one of 40 entries of 1 GiB (plus two honest students);
- **the exchange**: a hand-in posing as a classmate's, links to the teacher's notebook,
  a FIFO, a time in the future, a folder of root; what lands in ``submitted/`` with
  stock ``nbgrader collect`` and with ``convgrade collect`` (real Unix users: run as
  root, in a container);
- **LMS zips**: two LMS users with one name, names no folder can have, damaged,
  encrypted and cut-off entries, an oversized notebook.

``--before DIR`` also runs an older convgrade, unpacked in ``DIR`` (``DIR/autograder``),
e.g. ``mkdir OLD && git archive HEAD autograder | tar -x -C OLD``.

Usage::

    .venv/bin/python benchmarks/collect_attacks.py [--before OLD] [--only bombs,exchange,zips]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "corpus"))

from collect_attacks import (CONVGRADE, Member, hand_in, measured_convgrade, notebook, stamp,  # noqa: E402
                             unix_users, use_exchange, write_zip, zeros_member)

MB = 1 << 20
VENV_BIN = Path(sys.executable).parent
HONEST = [("smith_jane_12345_1_ps2.ipynb", "jane"), ("doe_john_22222_2_ps2.ipynb", "john")]


def honest():
    return [Member(name, notebook(marker)) for name, marker in HONEST]


def released_course(work):
    """A course with ps2 released, to be copied by each run."""
    template = work / "template"
    (template / "source").mkdir(parents=True)
    shutil.copytree(ROOT / "source" / "ps2", template / "source" / "ps2")
    subprocess.run([str(CONVGRADE), "--course", str(template), "release", "ps2"], check=True, capture_output=True)
    return template


def collect_command(who, before, course):
    """``(command line, environment)`` of ``collect ps2`` in ``course`` by ``who``
    (nbgrader, convgrade, before)."""
    env = dict(os.environ, PATH="%s%s%s" % (VENV_BIN, os.pathsep, os.environ.get("PATH", "")))
    if who == "nbgrader":
        return [str(VENV_BIN / "nbgrader"), "collect", "ps2", "--CourseDirectory.root=%s" % course], env
    if who == "before":
        env["PYTHONPATH"] = str(before)
        return [sys.executable, "-c", "import sys; from autograder.cli import main; sys.exit(main())",
                "--course", str(course), "collect", "ps2"], env
    return [str(CONVGRADE), "--course", str(course), "collect", "ps2"], env


# -- zip bombs -----------------------------------------------------------------------------------
def bombs(work, template, tools, before):
    print("\n| bomb | zip | collect | peak memory | peak disk | time | result |\n|---|---|---|---|---|---|---|")
    for label, count, size in (("12 x 120 MB", 12, 120 * MB), ("24 x 120 MB", 24, 120 * MB),
                               ("40 x 1 GiB", 40, 1024 * MB)):
        path = write_zip(work / "bomb.zip", [zeros_member("bomb%02d_%d_%d_ps2.ipynb" % (i, 900 + i, 5000 + i), size)
                                             for i in range(count)] + honest())
        for who in tools:
            if who == "before" and size > 128 * MB:
                continue  # the old code refused entries whose header said more than 128 MB
            course = shutil.copytree(template, work / "course")
            started = time.perf_counter()
            proc, rss, disk = measured_convgrade(course, "collect", "ps2", "--from", path,
                                                 pythonpath=before if who == "before" else None)
            seconds = time.perf_counter() - started
            last = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
            print("| %s | %.1f MB | %s | %.0f MB | %.0f MB | %.1f s | exit %d: %s |" % (
                label, path.stat().st_size / MB, who, rss, disk, seconds, proc.returncode, last), flush=True)
            shutil.rmtree(course)


# -- the exchange ------------------------------------------------------------------------------
def _forged(course, inbound, alice, bob):
    hand_in(inbound, alice, "%s+ps2+%s" % (alice, stamp(days=-2)), {"ps2.ipynb": notebook("alice")})
    hand_in(inbound, bob, "%s+ps2+%s" % (alice, stamp(days=-1)), {"ps2.ipynb": notebook("bob-as-alice")})


def _symlinked(course, inbound, alice, bob):
    folder = hand_in(inbound, bob, "%s+ps2+%s" % (bob, stamp(days=-1)), {})
    os.symlink(course / "source" / "ps2" / "ps2.ipynb", folder / "ps2.ipynb")
    os.lchown(folder / "ps2.ipynb", folder.stat().st_uid, -1)


def _hard_linked(course, inbound, alice, bob):
    folder = hand_in(inbound, bob, "%s+ps2+%s" % (bob, stamp(days=-1)), {})
    os.link(course / "source" / "ps2" / "ps2.ipynb", folder / "ps2.ipynb")


def _folder_link(course, inbound, alice, bob):
    import pwd

    link = inbound / ("%s+ps2+%s" % (bob, stamp(days=-1)))
    os.symlink(course / "source" / "ps2", link)
    os.lchown(link, pwd.getpwnam(bob).pw_uid, -1)


def _fifo(course, inbound, alice, bob):
    hand_in(inbound, alice, "%s+ps2+%s" % (alice, stamp(days=-1)), {"ps2.ipynb": notebook("alice")})
    folder = hand_in(inbound, bob, "%s+ps2+%s" % (bob, stamp(days=-1)), {})
    os.mkfifo(folder / "ps2.ipynb")


def _future(course, inbound, alice, bob):
    hand_in(inbound, bob, "%s+ps2+%s" % (bob, stamp(days=-1)), {"ps2.ipynb": notebook("bob")})
    hand_in(inbound, bob, "%s+ps2+2094-01-01 00:00:00.000000 UTC" % bob, {"ps2.ipynb": notebook("bob-future")})


def _root_owned(course, inbound, alice, bob):
    hand_in(inbound, 0, "carol+ps2+%s" % stamp(days=-1), {"ps2.ipynb": notebook("carol")})


EXCHANGE = [("a folder named after a classmate (bob's folder alice+ps2+later)", _forged),
            ("hand-in notebook is a symlink to source/ps2/ps2.ipynb", _symlinked),
            ("hand-in notebook is a hard link to source/ps2/ps2.ipynb", _hard_linked),
            ("the inbound folder is a symlink to source/ps2", _folder_link),
            ("a FIFO named ps2.ipynb (alice hands in normally)", _fifo),
            ("a folder dated 2094 beside an honest one", _future),
            ("a root-owned folder carol+ps2+...", _root_owned)]


def _what_landed(course, source, students):
    found = []
    for student, label in students:
        path = course / "submitted" / student / "ps2" / "ps2.ipynb"
        if not path.is_file():
            found.append("%s: nothing" % label)
            continue
        data = path.read_bytes()
        what = "THE MODEL SOLUTIONS" if data == source else next(
            (m for m in ("bob-as-alice", "bob-future", "alice", "bob", "carol") if data == notebook(m)), "?")
        found.append("%s: %s" % (label, what))
    return ", ".join(found)


def exchange(work, template, tools, before):
    if os.geteuid() != 0:
        print("\n(the exchange table needs root: it makes Unix users)")
        return
    print("\n| attack | collect | exit | what landed in submitted/ | what it said |\n|---|---|---|---|---|")
    source = (template / "source" / "ps2" / "ps2.ipynb").read_bytes()
    for label, build in EXCHANGE:
        for who in ["nbgrader"] + list(tools):
            course = shutil.copytree(template, work / "course")
            inbound = use_exchange(course, work / "exchange")
            with unix_users(2) as (alice, bob):
                build(course, inbound, alice, bob)
                command, env = collect_command(who, before, course)
                try:
                    proc = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True, timeout=60)
                    status, log = str(proc.returncode), proc.stdout + proc.stderr
                except subprocess.TimeoutExpired:
                    status, log = "hung (killed at 60 s)", ""
                landed = _what_landed(course, source, [(alice, "alice"), (bob, "bob"), ("carol", "carol")])
                said = [line.strip() for line in log.splitlines()
                        if any(k in line for k in ("cheating", "could not", "Error:", "taken although"))]
                said = " / ".join(said).replace(alice, "alice").replace(bob, "bob")
                said = said.replace(str(work / "exchange" / "cnn101"), "EXCHANGE").replace(str(course), "COURSE")
                print("| %s | %s | %s | %s | %s |" % (label, who, status, landed, said[:300] or "-"), flush=True)
            shutil.rmtree(work / "exchange", ignore_errors=True)
            shutil.rmtree(course, ignore_errors=True)


# -- LMS zips ---------------------------------------------------------------------------------
def _zip_cases():
    one = notebook("x")
    return [
        ("two Canvas users named smith_john", [Member("smith_john_111_1_ps2.ipynb", notebook("a")),
                                               Member("smith_john_222_2_ps2.ipynb", notebook("b"))]),
        ("two Moodle users named John Smith",
         [Member("John Smith_%d_assignsubmission_file_/ps2.ipynb" % uid, notebook(marker))
          for uid, marker in ((111, "a"), (222, "b"))]),
        ("a name that is only an emoji (folder layout)", [Member("\U0001F389/ps2.ipynb", one)]),
        ("a name that is only an emoji (Moodle)", [Member("\U0001F389_4242_assignsubmission_file_/ps2.ipynb", one)]),
        ("a name '..'", [Member("../ps2.ipynb", one)]),
        ("a 300-character name (Moodle)", [Member("Q" * 300 + "_77_assignsubmission_file_/ps2.ipynb", one)]),
        ("an entry whose header under-states its size", [Member("liar_7_7_ps2.ipynb", one + b" " * (3 * MB),
                                                                stated_size=1000)]),
        ("an encrypted entry", [Member("crypt_8_8_ps2.ipynb", one, flags=1)]),
        ("an entry dated month 0", [Member("odd_9_9_ps2.ipynb", one, date=0x5800)]),
        ("a 65 MB notebook (random bytes)", [Member("big_5_5_ps2.ipynb", os.urandom(65 * MB), method=0)]),
        ("a zip cut inside its third entry", "cut"),
    ]


def zips(work, template, tools, before):
    print("\n| zip | collect | exit | students placed | what it said |\n|---|---|---|---|---|")
    for label, members in _zip_cases():
        if members == "cut":
            cut = honest() + [Member("cut_off_3_3_ps2.ipynb", notebook("cut")),
                              Member("after_4_4_ps2.ipynb", notebook("a"))]
            whole = write_zip(work / "whole.zip", cut).read_bytes()
            path = write_zip(work / "case.zip", cut, cut_at=whole.index(b"cut_off_3_3") + 400)
        else:
            path = write_zip(work / "case.zip", honest()[:1] + members + honest()[1:])
        for who in tools:
            course = shutil.copytree(template, work / "course")
            command, env = collect_command(who, before, course)
            proc = subprocess.run(command + ["--from", str(path)], cwd=work, env=env, capture_output=True, text=True,
                                  timeout=300)
            out = proc.stdout + proc.stderr
            said = ("Traceback: " + out.strip().splitlines()[-1]) if "Traceback" in out else " / ".join(
                line for line in out.splitlines() if line.startswith(("could not", "convgrade: error")))
            placed = sorted(p.name[:24] for p in (course / "submitted").iterdir()) \
                if (course / "submitted").is_dir() else []
            print("| %s | %s | %d | %s | %s |" % (label, who, proc.returncode, ", ".join(placed) or "-",
                                                  said.replace(str(work) + "/", "")[:300] or "-"), flush=True)
            shutil.rmtree(course)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, metavar="DIR", help="an older convgrade: DIR/autograder")
    parser.add_argument("--only", default="bombs,exchange,zips", help="which tables (comma-separated)")
    args = parser.parse_args(argv)
    tools = (["before"] if args.before else []) + ["convgrade"]
    with tempfile.TemporaryDirectory(prefix="collect-attacks-") as tmp:
        work = Path(tmp)
        template = released_course(work)
        for table in args.only.split(","):
            {"bombs": bombs, "exchange": exchange, "zips": zips}[table](work, template, tools, args.before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
