"""Attacks on ``convgrade collect`` (issue 9, classes 1, 7, 8, 9): a hand-in posing as a
classmate's, links to the teacher's notebooks, FIFOs, times in the future, students with
the same name, names no folder can have, damaged zips, zip bombs.

Every case checks the same three things: nothing unearned (an attacker's file never lands
under a victim's id, no teacher's file is collected), no classmate harmed (the honest
hand-ins are placed byte for byte), nothing lost (every refused file is named in the
report with a reason). The exchange cases use real Unix users (made with ``useradd`` and
removed with ``userdel`` whatever happens), so they need root.
"""
from __future__ import annotations

import os
import re
import shutil
import signal

import pytest

from autograder.course import Course
from autograder.intake.collect import collect, student_id
from autograder.intake.unpack import MB, Caps
from collect_attacks import (Member, hand_in, measured_convgrade, notebook, placed, sha, stamp,
                             submitted_tree, unix_users, unused_uid, use_exchange, write_zip, zeros_member)
from corpus_checks import convgrade

needs_root = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("useradd") is None,
                                reason="the exchange attacks make real Unix users (useradd, chown): run as root")


def unplaced(report):
    """``{file: reason}`` of a report."""
    return {str(path): reason for path, reason in report.unplaced}


def reason_for(report, fragment):
    """The reason given for the one unplaced file whose name contains ``fragment``."""
    found = [reason for path, reason in report.unplaced if fragment in str(path)]
    assert len(found) == 1, "expected one unplaced file matching %r, got %r" % (fragment, report.unplaced)
    return found[0]


@pytest.fixture
def course(ps2_course):
    return Course(ps2_course)


@pytest.fixture
def exchange(course, tmp_path):
    """The course's exchange inbound folder (removed, with what the users own, at the end)."""
    inbound = use_exchange(course.root, tmp_path / "exchange")
    yield inbound
    shutil.rmtree(tmp_path / "exchange", ignore_errors=True)


@pytest.fixture
def users():
    """Three throw-away Unix users: the victim, the attacker, a bystander."""
    with unix_users(3) as names:
        yield names


# -- class 1: the exchange trusts names and follows links ----------------------------------------------
@needs_root
@pytest.mark.parametrize("forged_days, victim", [(-1, True), (-3, True), (-1, False)],
                         ids=["forgery-newer", "forgery-older", "victim-absent"])
@pytest.mark.parametrize("random_tail", [True, False], ids=["with-random", "without-random"])
def test_a_folder_named_after_a_classmate_is_refused(course, exchange, users, forged_days, victim, random_tail):
    alice, bob, _ = users
    tail = "+%s" % os.urandom(4).hex() if random_tail else ""
    if victim:
        hand_in(exchange, alice, "%s+ps2+%s%s" % (alice, stamp(days=-2), tail), {"ps2.ipynb": notebook(alice)})
    forged = "%s+ps2+%s%s" % (alice, stamp(days=forged_days), tail)
    hand_in(exchange, bob, forged, {"ps2.ipynb": notebook("bob-as-alice")})
    hand_in(exchange, bob, "%s+ps2+%s" % (bob, stamp(days=-1)), {"ps2.ipynb": notebook(bob)})
    report = collect(course, "ps2")
    assert placed(course.root, bob) == notebook(bob)
    assert placed(course.root, alice) == (notebook(alice) if victim else None)
    assert notebook("bob-as-alice") not in [placed(course.root, s) for s in (alice, bob)]
    assert reason_for(report, forged) == "the folder belongs to Unix user %r, not %r" % (bob, alice)
    assert "could not place inbound/%s: the folder belongs to Unix user %r, not %r" % (forged, bob, alice) \
        in report.lines()


@needs_root
def test_a_folder_of_a_uid_without_a_user_is_refused(course, exchange, users):
    alice = users[0]
    uid = unused_uid()
    hand_in(exchange, uid, "%s+ps2+%s" % (alice, stamp(days=-1)), {"ps2.ipynb": notebook("ghost")})
    report = collect(course, "ps2")
    assert placed(course.root, alice) is None
    assert reason_for(report, alice) == "the folder belongs to uid %d, which has no Unix user name, not %r" % (
        uid, alice)


@needs_root
def test_a_root_owned_folder_is_taken_with_a_warning(course, exchange, users):
    """Only root (or the grader) can make a root-owned folder: a root-run setup. nbgrader
    warns and copies; so do we, on the report line, never silently."""
    alice = users[0]
    hand_in(exchange, 0, "carol+ps2+%s" % stamp(days=-1), {"ps2.ipynb": notebook("carol")})
    hand_in(exchange, alice, "%s+ps2+%s" % (alice, stamp(days=-1)), {"ps2.ipynb": notebook(alice)})
    report = collect(course, "ps2")
    assert placed(course.root, "carol") == notebook("carol")
    assert placed(course.root, alice) == notebook(alice)
    line = next(line for line in report.placed if line.startswith("carol:"))
    assert "belongs to Unix user 'root', not 'carol': only an administrator or the grader" in line
    assert not any("taken although" in line for line in report.placed if line.startswith(alice))


@needs_root
def test_check_owner_false_takes_a_forgery_but_says_so(course, tmp_path, users):
    alice, bob, _ = users
    inbound = use_exchange(course.root, tmp_path / "exchange", extra="c.CollectApp.check_owner = False\n")
    hand_in(inbound, bob, "%s+ps2+%s" % (alice, stamp(days=-1)), {"ps2.ipynb": notebook("bob-as-alice")})
    report = collect(course, "ps2")
    assert "belongs to Unix user %r, not %r (CollectApp.check_owner is False)" % (bob, alice) in report.placed[0]
    shutil.rmtree(tmp_path / "exchange")


def _link_to_source(course, folder, how):
    """Put a link to the teacher's ``source/ps2/ps2.ipynb`` in ``folder`` as ``ps2.ipynb``."""
    source = course.root / "source" / "ps2" / "ps2.ipynb"
    target = folder / "ps2.ipynb"
    if how == "absolute":
        os.symlink(source, target)
    elif how == "relative":
        os.symlink(os.path.relpath(source, folder), target)
    elif how == "hard":
        os.link(source, target)
    if how != "hard":  # a hard link is the teacher's file itself: chown would change the source
        os.lchown(target, folder.stat().st_uid, -1)


@needs_root
@pytest.mark.parametrize("how", ["absolute", "relative", "hard"])
def test_a_link_to_the_teachers_notebook_is_refused(course, exchange, users, how):
    alice, bob, _ = users
    hand_in(exchange, alice, "%s+ps2+%s" % (alice, stamp(days=-1)), {"ps2.ipynb": notebook(alice)})
    folder = hand_in(exchange, bob, "%s+ps2+%s" % (bob, stamp(days=-1)), {"notes.txt": b"see ps2.ipynb"})
    _link_to_source(course, folder, how)
    source = (course.root / "source" / "ps2" / "ps2.ipynb").read_bytes()
    report = collect(course, "ps2")
    assert placed(course.root, bob) is None and source not in submitted_tree(course.root).values()
    assert placed(course.root, alice) == notebook(alice)
    expected = "a hard link" if how == "hard" else "a symbolic link"
    assert reason_for(report, "%s/ps2.ipynb" % folder.name).startswith(expected)
    assert "not a notebook" in reason_for(report, "notes.txt")


@needs_root
@pytest.mark.parametrize("target", ["source", "classmate"])
def test_an_exchange_folder_that_is_a_link_is_refused(course, exchange, users, target):
    alice, bob, _ = users
    victim = hand_in(exchange, alice, "%s+ps2+%s" % (alice, stamp(days=-2)), {"ps2.ipynb": notebook(alice)})
    link = exchange / ("%s+ps2+%s" % (bob, stamp(days=-1)))
    os.symlink(course.root / "source" / "ps2" if target == "source" else victim, link)
    os.lchown(link, __import__("pwd").getpwnam(bob).pw_uid, -1)
    report = collect(course, "ps2")
    assert placed(course.root, bob) is None
    assert placed(course.root, alice) == notebook(alice)
    assert reason_for(report, link.name).startswith("a symbolic link")


def _run_with_alarm(seconds, call):
    """``call()``, failing the test (not hanging it) if it takes more than ``seconds``."""
    def expired(*_):
        raise AssertionError("collect hung for %d s (it opened a FIFO?)" % seconds)

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        return call()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@needs_root
@pytest.mark.parametrize("name", ["ps2.ipynb", "timestamp.txt", "data.csv"])
def test_a_fifo_in_a_hand_in_is_never_opened(course, exchange, users, name):
    alice, bob, _ = users
    hand_in(exchange, alice, "%s+ps2+%s" % (alice, stamp(days=-1)), {"ps2.ipynb": notebook(alice)})
    files = {} if name == "ps2.ipynb" else {"ps2.ipynb": notebook(bob)}
    folder = hand_in(exchange, bob, "%s+ps2+%s" % (bob, stamp(days=-1)), files)
    os.mkfifo(folder / name)
    report = _run_with_alarm(60, lambda: collect(course, "ps2"))
    assert placed(course.root, alice) == notebook(alice)
    assert placed(course.root, bob) == (None if name == "ps2.ipynb" else notebook(bob))
    if name != "timestamp.txt":  # the exchange's time is the folder name's; its timestamp.txt is not read
        assert reason_for(report, "%s/%s" % (folder.name, name)) == "a FIFO, not a regular file"


@needs_root
@pytest.mark.parametrize("minutes, refused", [(60 * 24 * 365 * 70, True), (10, True), (1, False)],
                         ids=["year-2094", "10-minutes-ahead", "1-minute-ahead"])
def test_a_time_in_the_future_is_refused(course, exchange, users, minutes, refused):
    alice, bob, _ = users
    hand_in(exchange, alice, "%s+ps2+%s" % (alice, stamp(days=-1)), {"ps2.ipynb": notebook(alice)})
    hand_in(exchange, bob, "%s+ps2+%s" % (bob, stamp(days=-1)), {"ps2.ipynb": notebook("bob-honest")})
    future = "%s+ps2+%s" % (bob, stamp(minutes))
    hand_in(exchange, bob, future, {"ps2.ipynb": notebook("bob-future")})
    report = collect(course, "ps2")
    assert placed(course.root, alice) == notebook(alice)
    if refused:
        assert placed(course.root, bob) == notebook("bob-honest")
        assert re.match(r"the time in its name \(.*\) is in the future, more than 5 minutes ahead",
                        reason_for(report, future))
    else:
        assert placed(course.root, bob) == notebook("bob-future")
        assert "older submission of %s" % bob in reason_for(report, bob)


# -- class 1, --from FOLDER: the same links and times ------------------------------------------------
@pytest.mark.parametrize("attack", ["student-folder-link", "assignment-folder-link", "notebook-link",
                                    "fifo-notebook", "fifo-timestamp", "future-timestamp", "future-mtime"])
def test_a_folder_source_refuses_links_fifos_and_future_times(course, tmp_path, attack):
    incoming = tmp_path / "incoming"
    for student in ("amy", "bob"):
        (incoming / student / "ps2").mkdir(parents=True)
        (incoming / student / "ps2" / "ps2.ipynb").write_bytes(notebook(student))
    source = course.root / "source" / "ps2"
    where = {"student-folder-link": "eve", "assignment-folder-link": "eve/ps2", "notebook-link": "eve/ps2.ipynb",
             "fifo-notebook": "eve/ps2.ipynb", "fifo-timestamp": "eve/timestamp.txt",
             "future-timestamp": "eve", "future-mtime": "eve"}[attack]
    if attack == "student-folder-link":
        os.symlink(incoming / "amy", incoming / "eve")
    else:
        (incoming / "eve").mkdir()
    if attack == "assignment-folder-link":
        os.symlink(source, incoming / "eve" / "ps2")
    if attack == "notebook-link":
        os.symlink(source / "ps2.ipynb", incoming / "eve" / "ps2.ipynb")
    if attack == "fifo-notebook":
        os.mkfifo(incoming / "eve" / "ps2.ipynb")
    if attack in ("fifo-timestamp", "future-timestamp", "future-mtime"):
        (incoming / "eve" / "ps2.ipynb").write_bytes(notebook("eve"))
    if attack == "fifo-timestamp":
        os.mkfifo(incoming / "eve" / "timestamp.txt")
    if attack == "future-timestamp":
        (incoming / "eve" / "timestamp.txt").write_text("2099-01-01 00:00:00.000000 UTC\n")
    if attack == "future-mtime":
        os.utime(incoming / "eve" / "ps2.ipynb", (4102444800, 4102444800))  # 2100
    report = _run_with_alarm(60, lambda: collect(course, "ps2", incoming))
    assert placed(course.root, "amy") == notebook("amy") and placed(course.root, "bob") == notebook("bob")
    reason = reason_for(report, str(incoming / where))
    expected = {"fifo-notebook": "a FIFO", "fifo-timestamp": "a FIFO", "future-timestamp": "its timestamp.txt",
                "future-mtime": "the modification time"}.get(attack, "a symbolic link")
    assert reason.startswith(expected), reason
    if attack == "fifo-timestamp":  # the time is ignored, the notebook placed, timed by its file
        assert placed(course.root, "eve") == notebook("eve")
    else:
        assert placed(course.root, "eve") is None
    assert (source / "ps2.ipynb").read_bytes() not in [placed(course.root, s) for s in ("amy", "bob", "eve")]


# -- class 7: two students with one name ------------------------------------------------------------
def canvas_member(name, uid, sub, marker, file="ps2.ipynb"):
    return Member("%s_%s_%s_%s" % (name, uid, sub, file), notebook(marker))


def moodle_member(name, uid, marker):
    return Member("%s_%s_assignsubmission_file_/ps2.ipynb" % (name, uid), notebook(marker))


@pytest.mark.parametrize("lms", ["canvas", "moodle"])
def test_two_lms_users_with_one_name_stay_two_students_across_collects(course, tmp_path, lms):
    def member(uid, marker):
        return canvas_member("smith_john", uid, 5000 + uid, marker) if lms == "canvas" else \
            moodle_member("John Smith", uid, marker)

    base = "smith_john" if lms == "canvas" else "John_Smith"
    first = collect(course, "ps2", write_zip(tmp_path / "1.zip", [member(111, "first"), member(222, "second")]))
    assert not first.unplaced
    assert placed(course.root, base + "_111") == notebook("first")
    assert placed(course.root, base + "_222") == notebook("second")
    # later: one of them resubmits, a third John Smith arrives; nobody changes id
    collect(course, "ps2", write_zip(tmp_path / "2.zip", [member(222, "second-v2"), member(333, "third")]))
    assert placed(course.root, base + "_111") == notebook("first")
    assert placed(course.root, base + "_222") == notebook("second-v2")
    assert placed(course.root, base + "_333") == notebook("third")
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gradebook:
        assert {s.id: s.lms_user_id for s in gradebook.students if s.id.startswith(base)} == {
            base + "_111": "111", base + "_222": "222", base + "_333": "333"}


def test_a_newcomer_never_takes_a_known_students_id(course, tmp_path):
    collect(course, "ps2", write_zip(tmp_path / "1.zip", [canvas_member("smith_john", 111, 1, "known")]))
    assert placed(course.root, "smith_john") == notebook("known")
    report = collect(course, "ps2", write_zip(tmp_path / "2.zip", [canvas_member("smith_john", 222, 2, "newcomer"),
                                                                   canvas_member("smith_john", 111, 3, "known-v2")]))
    assert placed(course.root, "smith_john") == notebook("known-v2")
    assert placed(course.root, "smith_john_222") == notebook("newcomer")
    assert any("filed as smith_john_222: smith_john is another student's id" in line for line in report.placed)
    assert not report.unplaced


def test_one_lms_users_resubmission_still_replaces_their_older_copy(course, tmp_path):
    zip_path = write_zip(tmp_path / "c.zip", [canvas_member("smith_john", 111, 1, "old"),
                                              canvas_member("smith_john", 111, 2, "new", "ps2-1.ipynb"),
                                              canvas_member("smith_john", 222, 3, "other")])
    report = collect(course, "ps2", zip_path)
    assert placed(course.root, "smith_john_111") == notebook("new")
    assert placed(course.root, "smith_john_222") == notebook("other")
    assert reason_for(report, "smith_john_111_1_ps2").startswith("an older copy of ps2.ipynb by smith_john")


@pytest.mark.parametrize("first, second", [("a" * 200 + "x", "a" * 200 + "y"), ("é" * 100 + "1", "é" * 100 + "2"),
                                           ("José García", "Jose\u0301 Garci\u0301a")])
def test_long_and_unicode_names_give_short_distinct_ids(course, tmp_path, first, second):
    report = collect(course, "ps2", write_zip(tmp_path / "m.zip", [moodle_member(first, 1, "one"),
                                                                   moodle_member(second, 2, "two")]))
    ids = sorted(c.student for c in report.students)
    assert len(set(ids)) == 2 and not report.unplaced
    for sid in ids:
        assert len(sid) <= 64 and len(sid.encode()) <= 128 and "/" not in sid
    assert {placed(course.root, sid) for sid in ids} == {notebook("one"), notebook("two")}


@pytest.mark.parametrize("text, expected", [
    ("Ana de Vries", "Ana_de_Vries"), ("..", None), (".", None), ("", None), ("🎉🎉", None), ("-rf", "rf"),
    ("../../etc", "etc"), ("con", "con_"), ("LPT1.txt", "LPT1.txt_"), ("a/b\\c", "a_b_c"), ("x\ny", "x_y"),
    ("Jose\u0301", "José"), ("a" * 300, "a" * 55 + "_" + __import__("hashlib").sha256(b"a" * 300).hexdigest()[:8]),
])
def test_student_ids_are_safe_folder_names(text, expected):
    assert student_id(text) == expected


# -- class 8: one bad entry never stops the others --------------------------------------------------
HONEST = [("smith_jane", 12345, 1, "jane"), ("doe_john", 22222, 2, "john")]


def honest_members():
    return [canvas_member(name, uid, sub, marker) for name, uid, sub, marker in HONEST]


def assert_honest_placed(course):
    for name, _uid, _sub, marker in HONEST:
        assert placed(course.root, name) == notebook(marker), name


def _understated():
    data = notebook("liar") + b" " * (3 * MB)
    return Member("liar_7_7_ps2.ipynb", data, stated_size=1000)


BAD_ENTRIES = {
    "emoji-plain-layout": (lambda: Member("🎉/ps2.ipynb", notebook("emoji")), "cannot make a student id"),
    "dotdot": (lambda: Member("../ps2.ipynb", notebook("dotdot")), "cannot make a student id"),
    "dot": (lambda: Member("./ps2.ipynb", notebook("dot")), "cannot tell whose file"),
    "long-file-name": (lambda: Member("x_1_1_ps2" + "y" * 290 + ".ipynb", notebook("long")), "not a notebook"),
    "understated-size": (_understated, "damaged: it unpacks to more than the 1000 bytes the zip says"),
    "encrypted": (lambda: Member("crypt_8_8_ps2.ipynb", notebook("crypt"), flags=1), "encrypted"),
    "unknown-method": (lambda: Member("odd_9_9_ps2.ipynb", notebook("odd"), method=99), "cannot be read"),
    "bad-crc": (lambda: Member("crc_6_6_ps2.ipynb", packed=Member("x", notebook("crc")).packed,
                               size=len(notebook("crc")), crc=1), "damaged: its CRC-32 does not match"),
}


@pytest.mark.parametrize("bad", sorted(BAD_ENTRIES))
def test_a_bad_entry_is_one_line_and_the_class_is_placed(course, tmp_path, bad):
    make, reason = BAD_ENTRIES[bad]
    member = make()
    report = collect(course, "ps2", write_zip(tmp_path / "c.zip", honest_members()[:1] + [member]
                                              + honest_members()[1:]))
    assert_honest_placed(course)
    assert len(report.placed) == 2, report.lines()
    assert reason in reason_for(report, member.name.decode()[:20]), report.lines()
    assert {c.student for c in report.students} == {"smith_jane", "doe_john"}


def test_a_name_that_is_only_an_emoji_is_filed_under_its_lms_number(course, tmp_path):
    report = collect(course, "ps2", write_zip(tmp_path / "m.zip", [moodle_member("🎉", 4242, "party")]
                                              + honest_members()))
    assert_honest_placed(course)
    assert placed(course.root, "4242") == notebook("party")
    assert "no student id can be made from the name '🎉'" in next(l for l in report.placed if l.startswith("4242"))


@pytest.mark.parametrize("long_name", ["canvas", "moodle"])
def test_a_300_character_name_is_cut_to_an_id(course, tmp_path, long_name):
    name = "Q" * 300
    member = canvas_member(name, 77, 1, "long") if long_name == "canvas" else moodle_member(name, 77, "long")
    report = collect(course, "ps2", write_zip(tmp_path / "c.zip", [member] + honest_members()))
    assert_honest_placed(course)
    sid = next(c.student for c in report.students if c.lms_user_id == "77")
    assert len(sid) == 64 and placed(course.root, sid) == notebook("long")


@pytest.mark.parametrize("cut", ["inside-third-entry", "central-directory", "directory-dropped"])
def test_a_truncated_zip_gives_the_files_before_the_cut(course, tmp_path, cut):
    members = honest_members() + [canvas_member("cut_off", 3, 3, "cut"), canvas_member("after", 4, 4, "after")]
    whole = write_zip(tmp_path / "whole.zip", members).read_bytes()
    third = whole.index(b"cut_off_3_3")
    cut_at = {"inside-third-entry": third + 400, "central-directory": len(whole) - 30, "directory-dropped": None}[cut]
    path = write_zip(tmp_path / "c.zip", members, cut_at=cut_at, drop_directory=cut == "directory-dropped")
    report = collect(course, "ps2", path)
    assert_honest_placed(course)
    assert "central directory) is missing or damaged" in unplaced(report)["c.zip"]
    if cut == "inside-third-entry":
        assert reason_for(report, "cut_off_3_3") == "the zip ends inside this file (a truncated download)"
        assert placed(course.root, "after") is None
    else:
        assert placed(course.root, "cut_off") == notebook("cut") and placed(course.root, "after") == notebook("after")


def test_the_cli_reports_a_truncated_zip_and_refuses_a_non_zip_in_one_line(course, tmp_path):
    members = honest_members() + [canvas_member("cut_off", 3, 3, "cut")]
    whole = write_zip(tmp_path / "whole.zip", members).read_bytes()
    write_zip(tmp_path / "cut.zip", members, cut_at=whole.index(b"cut_off_3_3") + 400)
    proc = convgrade(course.root, "collect", "ps2", "--from", tmp_path / "cut.zip")
    assert proc.returncode == 0 and "Traceback" not in proc.stdout + proc.stderr
    assert "could not place cut.zip:cut_off_3_3_ps2.ipynb: the zip ends inside this file" in proc.stdout
    (tmp_path / "junk.zip").write_bytes(b"PK\x03\x04" + os.urandom(20))
    proc = convgrade(course.root, "collect", "ps2", "--from", tmp_path / "junk.zip")
    assert proc.returncode != 0 and proc.stdout == ""
    assert re.fullmatch(r"convgrade: error: --from \S*junk\.zip is neither a folder nor a zip file .*\n", proc.stderr)


# -- class 9: caps on unpacking ----------------------------------------------------------------------
@pytest.mark.parametrize("count, size", [(12, 120 * MB), (40, 256 * MB)], ids=["12x120MB", "40x256MB"])
def test_a_zip_bomb_is_refused_in_bounded_memory_and_disk(course, tmp_path, count, size):
    """Entries of zeros (12 x 120 MB: a 1.4 MB zip): each is refused at its ratio, collect
    stays under 300 MB of memory and 64 MB of disk, and the honest students, after the
    bomb in the zip, are placed (the bomb must not use up what one collect reads)."""
    path = write_zip(tmp_path / "bomb.zip", [zeros_member("bomb%02d_%d_%d_ps2.ipynb" % (i, 900 + i, 5000 + i), size)
                                             for i in range(count)] + honest_members())
    assert path.stat().st_size < count * size / 500
    proc, rss_mb, disk_mb = measured_convgrade(course.root, "collect", "ps2", "--from", path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert rss_mb < 300, "collect of a zip bomb peaked at %.0f MB of memory" % rss_mb
    assert disk_mb < 64, "collect of a zip bomb used %.0f MB of disk" % disk_mb
    assert_honest_placed(course)
    refused = [line for line in proc.stdout.splitlines() if line.startswith("could not place bomb.zip:bomb")]
    assert len(refused) == count and all("unpacks to more than 100 times its packed size" in l for l in refused)
    assert not list(course.root.glob(".collect-*"))


def test_a_notebook_over_the_cap_is_refused_whatever_its_header_says(course, tmp_path):
    big = os.urandom(3 * MB)  # random: no ratio to catch it, only its size
    members = [Member("big_5_5_ps2.ipynb", big, method=0, stated_size=100),
               Member("big2_6_6_ps2.ipynb", big, method=8)] + honest_members()
    report = collect(course, "ps2", write_zip(tmp_path / "big.zip", members), caps=Caps(file_bytes=2 * MB))
    assert_honest_placed(course)
    assert reason_for(report, "big2_6_6").startswith("larger than 2 MB, the most collect takes for one notebook")
    assert reason_for(report, "big_5_5")  # stated 100 bytes: refused as damaged or too large, never placed
    assert placed(course.root, "big") is None and placed(course.root, "big2") is None


def test_the_total_cap_refuses_the_rest_and_names_each_file(course, tmp_path):
    members = [canvas_member("student%02d" % i, 100 + i, i, "s%02d" % i) for i in range(10)]
    size = len(notebook("s00"))
    report = collect(course, "ps2", write_zip(tmp_path / "class.zip", members),
                     caps=Caps(total_bytes=int(4.5 * size)))
    assert [c.student for c in report.students] == ["student%02d" % i for i in range(4)]
    for i in range(4):
        assert placed(course.root, "student%02d" % i) == notebook("s%02d" % i)
    assert len(report.unplaced) == 6
    assert all("the most one collect reads (--max-total-mb)" in reason for _, reason in report.unplaced)


def test_a_folder_notebook_over_the_cap_is_refused(course, tmp_path):
    (tmp_path / "in" / "amy").mkdir(parents=True)
    (tmp_path / "in" / "amy" / "ps2.ipynb").write_bytes(notebook("amy"))
    (tmp_path / "in" / "big").mkdir()
    with open(tmp_path / "in" / "big" / "ps2.ipynb", "wb") as fh:
        fh.truncate(65 * MB)  # sparse: costs no disk
    report = collect(course, "ps2", tmp_path / "in")
    assert placed(course.root, "amy") == notebook("amy") and placed(course.root, "big") is None
    assert reason_for(report, "big/ps2.ipynb").startswith("larger than 64 MB")


def test_no_spool_is_left_behind_after_a_failure(course, tmp_path, monkeypatch):
    from autograder.intake import collect as collect_module

    def broken(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(collect_module, "_register_students", broken)
    with pytest.raises(OSError):
        collect(course, "ps2", write_zip(tmp_path / "c.zip", honest_members()))
    assert not list(course.root.glob(".collect-*"))


@pytest.mark.parametrize("attack", ["bomb", "paths"])
def test_a_zip_never_writes_outside_submitted(course, tmp_path, attack):
    """Names in a zip only ever choose an id and a notebook: nothing lands elsewhere."""
    extra = [zeros_member("z_1_1_ps2.ipynb", 2 * MB)] if attack == "bomb" else [
        Member("../../source/ps2/ps2.ipynb", notebook("evil")), Member("/abs/ps2/ps2.ipynb", notebook("evil2"))]
    before = sha((course.root / "source" / "ps2" / "ps2.ipynb").read_bytes())
    report = collect(course, "ps2", write_zip(tmp_path / "c.zip", honest_members() + extra))
    assert sha((course.root / "source" / "ps2" / "ps2.ipynb").read_bytes()) == before
    assert_honest_placed(course)
    assert set(submitted_tree(course.root)) == {"smith_jane/ps2/ps2.ipynb", "doe_john/ps2/ps2.ipynb"}
    assert len(report.unplaced) == len(extra)


def test_a_damaged_newest_copy_gives_way_to_the_older_one(course, tmp_path):
    damaged = Member("smith_jane_12345_9_ps2-1.ipynb", packed=Member("x", notebook("new")).packed,
                     size=len(notebook("new")), crc=1)
    report = collect(course, "ps2", write_zip(tmp_path / "c.zip", honest_members() + [damaged]))
    assert_honest_placed(course)  # jane's older, intact copy
    assert reason_for(report, "smith_jane_12345_9").startswith("damaged: its CRC-32 does not match")
    assert len(report.unplaced) == 1


def test_a_zip_listing_too_many_files_is_one_error(course, tmp_path):
    from autograder.errors import CollectError

    path = write_zip(tmp_path / "many.zip", [canvas_member("s%d" % i, i, i, "s%d" % i) for i in range(6)])
    with pytest.raises(CollectError, match=r"--from .*many\.zip .*lists 6 files, more than the 5 one collect reads"):
        collect(course, "ps2", path, caps=Caps(zip_entries=5))
    assert not (course.root / "submitted").exists() or not any((course.root / "submitted").iterdir())


def test_an_impossible_date_in_a_zip_is_no_traceback(course, tmp_path):
    """A month 0 in a zip's date (as some packers write) once raised ValueError."""
    odd = Member("odd_date_9_9_ps2.ipynb", notebook("odd"), date=0x5800)
    report = collect(course, "ps2", write_zip(tmp_path / "c.zip", honest_members() + [odd]))
    assert_honest_placed(course)
    assert placed(course.root, "odd_date") == notebook("odd") and not report.unplaced
    assert not (course.root / "submitted" / "odd_date" / "ps2" / "timestamp.txt").exists()


@pytest.mark.parametrize("swap", ["symlink", "fifo", "hard-link"])
def test_a_file_swapped_between_the_check_and_the_open_is_refused(tmp_path, swap):
    """The check/use race: ``open_regular`` must open the very file that was checked."""
    from autograder.intake.unpack import Refused, entries, open_folder, open_regular

    folder = tmp_path / "hand-in"
    folder.mkdir()
    (folder / "ps2.ipynb").write_bytes(notebook("checked"))
    (tmp_path / "secret.ipynb").write_bytes(b"the teacher's")
    with open_folder(folder) as fd:
        checked = dict(entries(fd))["ps2.ipynb"]
        (folder / "ps2.ipynb").unlink()
        if swap == "symlink":
            os.symlink(tmp_path / "secret.ipynb", folder / "ps2.ipynb")
        elif swap == "fifo":
            os.mkfifo(folder / "ps2.ipynb")
        else:
            os.link(tmp_path / "secret.ipynb", folder / "ps2.ipynb")
        expected = {"symlink": "a symbolic link", "fifo": "a FIFO", "hard-link": "a hard link"}[swap]
        with pytest.raises(Refused, match=expected):
            _run_with_alarm(30, lambda: open_regular("ps2.ipynb", fd, checked, single_link=True).__enter__())


def test_a_bomb_costs_two_megabytes_of_what_one_collect_reads(course, tmp_path):
    """The ratio is checked against the packed bytes used so far: 30 bombs of 120 MB
    (refused after 2 MB each) fit in a 64 MB total and the honest students after them
    are still read."""
    bombs = [zeros_member("bomb%02d_%d_%d_ps2.ipynb" % (i, 900 + i, 5000 + i), 120 * MB) for i in range(30)]
    report = collect(course, "ps2", write_zip(tmp_path / "bomb.zip", bombs + honest_members()),
                     caps=Caps(total_bytes=64 * MB))
    assert_honest_placed(course)
    assert len(report.unplaced) == 30
    assert all(re.search(r"\(\d kB packed, more than 2 MB unpacked\)", reason) for _, reason in report.unplaced)


def test_one_students_many_bad_copies_are_not_all_unpacked(course, tmp_path):
    copies = [Member("smith_jane_12345_%d_ps2-%d.ipynb" % (sub, sub), packed=Member("x", notebook("v%d" % sub)).packed,
                     size=len(notebook("v%d" % sub)), crc=1) for sub in range(2, 8)]
    report = collect(course, "ps2", write_zip(tmp_path / "c.zip", honest_members() + copies))
    assert placed(course.root, "doe_john") == notebook("john")
    assert placed(course.root, "smith_jane") is None  # her intact copy is older than the 3 tried: reported
    reasons = [reason for path, reason in report.unplaced]
    assert sum(r.startswith("damaged: its CRC-32") for r in reasons) == 3
    assert sum(r.startswith("not unpacked: 3 newer copies of ps2.ipynb by smith_jane") for r in reasons) == 4


@pytest.mark.parametrize("full_name", ["<script>alert(1)<script> Smith", "Eve <img src=x onerror=alert(1)>",
                                       "<svg onload=alert(1)> <b onmouseover=alert(2)>Bold"])
def test_a_name_that_would_open_a_tag_in_formgrader_is_stored_inert_and_said(course, tmp_path, full_name):
    """nbgrader's formgrader writes first and last names into its pages as HTML, so a name
    from an LMS zip is stored without < and >, and the report line says so."""
    report = collect(course, "ps2", write_zip(tmp_path / "n.zip", [moodle_member(full_name, 4711, "named")]))
    assert not report.unplaced
    assert any("is stored with < and >" in line for line in report.placed), report.placed
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gradebook:
        (student,) = [s for s in gradebook.students if s.lms_user_id == "4711"]
        stored = "%s %s" % (student.first_name, student.last_name)
    assert "<" not in stored and ">" not in stored
    assert stored.replace("\u2039", "<").replace("\u203a", ">") == " ".join(full_name.split())
    assert placed(course.root, student.id) == notebook("named")
