"""The scratch folder of a grading run (``autograder.isolation.scratch``): removed when the run
ends, and, when a run was killed outright, by the next run once its owner is gone."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

from autograder.isolation import scratch
from autograder.isolation.scratch import OWNER, PREFIX, RunScratch, remove_tree, sweep_stale


def test_a_run_folder_holds_its_workers_folders_and_is_gone_at_the_end(tmp_path):
    with RunScratch(tmp_path) as run:
        assert run.path.parent == tmp_path and run.path.name.startswith(PREFIX)
        one, two = run.worker(1), run.worker(2)
        (one / "convgrade-s-x").mkdir()
        (one / "convgrade-s-x" / "plan.json").write_text("{}")
        assert oct(two.stat().st_mode & 0o777) == "0o711"
        owner = json.loads((run.path / OWNER).read_text())
        assert owner["pid"] == os.getpid()
    assert list(tmp_path.iterdir()) == []


def test_the_folder_of_a_killed_run_is_swept_and_a_live_runs_is_not(tmp_path):
    # a real process that owned a run folder, then died
    code = ("import sys; from autograder.isolation.scratch import RunScratch; r = RunScratch(sys.argv[1]).__enter__(); "
            "(r.worker(1) / 'left.txt').write_text('x'); print(r.path); sys.stdout.flush(); import os; os._exit(9)")
    dead = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
    dead_path = tmp_path / os.path.basename(dead.stdout.strip())
    assert (dead_path / "w1" / "left.txt").exists(), dead.stderr
    with RunScratch(tmp_path) as live:  # entering sweeps
        assert not dead_path.exists()
        assert sweep_stale(tmp_path) == []  # our own folder stays: we are alive
        assert live.path.exists()


def test_processes_left_running_in_a_killed_runs_folder_are_ended_and_others_are_not(tmp_path):
    stale = owner_file(tmp_path / (PREFIX + "killed"), started=-1)
    live = owner_file(tmp_path / (PREFIX + "live"))  # ours: we are alive
    nap = "import time; time.sleep(120)"
    orphan = subprocess.Popen([sys.executable, "-c", nap, str(stale / "w1" / "cgk-x" / "connection.json")])
    bystander = subprocess.Popen([sys.executable, "-c", nap, str(live / "w1" / "connection.json")])
    try:
        assert sweep_stale(tmp_path) == [stale]
        assert orphan.wait(timeout=10) == -9
        assert bystander.poll() is None and live.exists()
    finally:
        orphan.kill()
        bystander.kill()
        bystander.wait()


def owner_file(folder, **change):
    folder.mkdir()
    owner = dict(scratch._owner(), **change)
    (folder / OWNER).write_text(json.dumps(owner))
    return folder


def test_a_pid_reused_by_another_process_does_not_keep_a_folder(tmp_path):
    # our pid, but a start time that is not ours: the owner is gone, the pid was reused
    folder = owner_file(tmp_path / (PREFIX + "reused"), started=-1)
    assert sweep_stale(tmp_path) == [folder]


def test_a_folder_of_another_pid_namespace_is_left_alone_and_one_from_before_a_reboot_is_not(tmp_path):
    other = owner_file(tmp_path / (PREFIX + "container"), started=-1, pidns="pid:[1]")
    before = owner_file(tmp_path / (PREFIX + "old-boot"), boot="another boot")
    assert sweep_stale(tmp_path) == [before]
    assert other.exists()


def test_a_folder_without_owner_is_kept_while_fresh(tmp_path, monkeypatch):
    fresh, old = tmp_path / (PREFIX + "fresh"), tmp_path / (PREFIX + "old")
    fresh.mkdir()
    old.mkdir()
    past = time.time() - scratch.UNOWNED_GRACE - 60
    os.utime(old, (past, past))
    assert sweep_stale(tmp_path) == [old]
    assert fresh.exists()
    (tmp_path / "convgrade-other").mkdir()  # not a run folder: never touched
    sweep_stale(tmp_path)
    assert (tmp_path / "convgrade-other").exists()


def test_remove_tree_retries_while_a_dying_process_still_writes(tmp_path):
    target = tmp_path / "work"
    target.mkdir()
    stop = time.monotonic() + 0.3

    def writer():  # a process finishing its last file-system calls
        n = 0
        while time.monotonic() < stop:
            try:
                (target / ("f%d" % n)).write_text("x")
            except OSError:
                pass
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.05)
    try:
        assert remove_tree(target, attempts=20, pause=0.05)
    finally:
        thread.join()
    assert not target.exists()  # the writer's later calls failed: its folder was gone


def test_remove_tree_says_what_it_could_not_remove(tmp_path, caplog, monkeypatch):
    target = tmp_path / "stuck"
    target.mkdir()
    monkeypatch.setattr(scratch, "_rmtree", lambda path, on_failure: on_failure(os.rmdir, str(path),
                                                                                 OSError(39, "Directory not empty")))
    assert remove_tree(target, attempts=2, pause=0.01) is False
    assert "could not remove %s" % target in caplog.text and "Directory not empty" in caplog.text
