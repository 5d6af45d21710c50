"""Run a command so that its whole process group is SIGKILLed once the grader is gone.

Usage (run by path, standard library only, so ``python -I -S`` starts it in milliseconds)::

    python -I -S launch_guard.py FD COMMAND [ARG...]

``FD`` is the read end of a pipe whose write end only the grader holds (close-on-exec,
so nothing it launches inherits it); the grader passes ``FD`` to this process alone.
The guard forks a *watcher*, closes ``FD`` and execs ``COMMAND`` in its own place: the
command keeps the guard's pid, its process group and its exit status, exactly as if it
had been launched directly. The watcher reads ``FD`` until end of file, which comes
when the last write end closes, that is when the grader closes it after the kernel is
ended, or when the grader dies, however it dies. It then SIGKILLs its process group:
the command and everything in that group.

Why a process, not only ``PR_SET_PDEATHSIG``: bubblewrap arms its own
``--die-with-parent`` in each of its processes only after that process's set-up. A
grader killed in those first milliseconds left the sandbox's PID-namespace init (and
the kernel it then started) running for good. That init ignores every signal sent from
inside its namespace and every signal the kernel raises on a file's behalf
(``O_ASYNC``), so only a ``kill()`` made by a process outside the namespace ends it.
The watcher is such a process, it already holds the pipe when the grader can first die
(no window), and it is in the group because bubblewrap runs without ``--new-session``
(:func:`autograder.isolation.sandbox._namespace_args`).
"""
import os
import signal
import sys


def main(argv):
    if len(argv) < 3 or not argv[1].isdigit():
        sys.stderr.write("usage: launch_guard.py FD COMMAND [ARG...]\n")
        return 2
    lifeline, command = int(argv[1]), argv[2:]
    if os.fork() == 0:  # the watcher: a child, so PR_SET_PDEATHSIG (not inherited) spares it
        try:
            while os.read(lifeline, 4096):
                pass
        finally:
            os.killpg(0, signal.SIGKILL)  # the group, the watcher included
    os.close(lifeline)
    os.execv(command[0], command)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
