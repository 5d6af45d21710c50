"""Stage 3, execute: run one notebook in a sandboxed student kernel (``docs/architecture.md``).

:func:`execute_planned` is the stage: it lays out a working folder (the assignment's
files and the plan), names the banned libraries to leave out of the sandbox, runs the
rebuilt notebook, and removes the folder. :func:`execute_notebook` starts the kernel
that :class:`autograder.isolation.sandbox.Sandbox` isolates, runs every code cell with
nbclient (errors allowed: a failing cell is the student's result, not the grader's
problem), caps the outputs it keeps, enforces the per-cell and per-notebook wall time,
and ends every process the notebook started, whatever happened. The grader scores from
the records the kernel's checks sent through the results channel
(:mod:`autograder.isolation.results_channel`), taken cell by cell, never from outputs,
so what a cell prints (stderr warnings included) costs nothing.

Statuses of :class:`ExecutionResult`:

``ok``       every code cell ran (some may have raised; that is in their outputs);
``timeout``  a cell ran past ``Limits.cell_timeout`` or the notebook past
             ``Limits.notebook_timeout``; the cells before it kept their outputs;
``crashed``  the kernel process ended during a cell (``os._exit``, ``exit()``, a
             segfault, a CPU-time or file-size limit);
``error``    the kernel could not start (the detail says why).
"""
from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty

import nbformat
import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec
from jupyter_core.utils import ensure_async
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from autograder.isolation.disk_watch import DiskWatch
from autograder.isolation.library_absence import absent_libraries
from autograder.isolation.results_channel import RESULTS_NAME, ResultsChannel
from autograder.isolation.sandbox import Limits, Sandbox, SandboxUnavailable, active_protections  # noqa: F401 (API)
from autograder.isolation.scratch import remove_tree
from autograder.judging import registry

log = logging.getLogger(__name__)

#: Seconds after the notebook deadline at which a watchdog thread kills the kernel even
#: if the event loop that should have done it is stuck.
WATCHDOG_GRACE = 5.0

#: Seconds past the notebook deadline before the event loop cancels the run (nbclient's
#: per-cell timeout, capped at the time left, should have ended it by then).
DEADLINE_SLACK = 0.5

#: Bytes of a message beyond its content (header, metadata, signature) allowed on top of
#: the output cap in the largest message the grader accepts.
MESSAGE_OVERHEAD = 64 * 1024

#: Milliseconds between the client's attempts to connect to a kernel socket not there yet.
#: The client connects as soon as the kernel is launched, long before the kernel has
#: imported enough to bind its sockets; at ZeroMQ's default (100 ms) the shell and IOPub
#: connections came up to 100 ms after the kernel was listening. Measured, 2026-12-06,
#: five kernels each, alternating: ready 0.29-0.44 s after the launch at 10 ms, 0.45-0.52 s
#: at 100 ms. A failed attempt on an ipc socket is one connect(2).
CONNECT_RETRY_MS = 10

#: Messages a client socket may queue before ZeroMQ drops new ones (bounds the grader's
#: memory to about this many times the output cap).
RECEIVE_QUEUE = 64

#: IOPub messages whose content becomes a kept output (or widget state).
_OUTPUT_MESSAGES = {"stream", "display_data", "execute_result", "error", "update_display_data"}


@dataclass
class ExecutionResult:
    """What one notebook run produced.

    notebook : nbformat.NotebookNode
        The executed copy (the input is not modified), outputs capped.
    status : str
        ``"ok"``, ``"timeout"``, ``"crashed"`` or ``"error"`` (see the module docstring).
    detail : str
        One line for the teacher ("cell 7 ran past the 30 s limit per cell").
    protections : list of str
        The protections that were active for this run.
    seconds : float
        Wall time of the whole run, kernel start and cleanup included.
    records : dict of int to list of bytes
        The lines that arrived through the results channel while each cell ran
        (``{cell index: [line, ...]}``; empty without a channel).
    channel_losses : str
        What the results channel dropped (over-long lines, bytes past its cap), or ``""``.
    """

    notebook: nbformat.NotebookNode
    status: str
    detail: str
    protections: list = field(default_factory=list)
    seconds: float = 0.0
    records: dict = field(default_factory=dict)
    channel_losses: str = ""


def execute_planned(course, assignment, student, rebuilt, plan, *, limits, require_sandbox=False) -> ExecutionResult:
    """Stage 3: run ``rebuilt`` (:class:`autograder.pipeline.rebuild.Rebuilt`) with its
    ``plan`` (:class:`autograder.pipeline.plan.Plan`) in ``student``'s sandboxed kernel.

    The kernel's working folder, a new temporary one removed afterwards, holds the
    assignment's files, ``plan.json`` (the kernel's part of the plan, with the time a
    case may take) and the results channel. A notebook with "write it yourself" items
    runs without the banned libraries it does not need.
    """
    workdir = Path(tempfile.mkdtemp(prefix="convgrade-%s-" % safe_name(student)))
    try:
        for rel, path in course.source_files(assignment).items():
            (workdir / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, workdir / rel)
        plan_path, results_path = workdir / "plan.json", workdir / RESULTS_NAME
        plan_path.write_text(json.dumps({**plan.kernel, "case_seconds": limits.cell_timeout}, allow_nan=True),
                             encoding="utf-8")
        env = {"CONVGRADE_PLAN": str(plan_path), "CONVGRADE_RESULTS": str(results_path),
               "CONVGRADE_STUDENT": student}
        hidden = (absent_libraries(rebuilt.source, course.student_python, registry.libraries_needed(plan.check_ids))
                  if registry.any_forbids_library(plan.check_ids) else {})
        return execute_notebook(rebuilt.executable, workdir, env=env, limits=limits,
                                kernel_python=course.student_python, require_sandbox=require_sandbox,
                                results_path=results_path, hidden_modules=hidden)
    finally:
        remove_tree(workdir)


def safe_name(text):
    """``text`` as a short file-name part: letters and digits, the rest ``_``."""
    return "".join(ch if ch.isalnum() else "_" for ch in text)[:40]


def execute_notebook(nb, workdir: Path, *, env: dict, limits: Limits | None = None,
                     kernel_python: Path, require_sandbox: bool = False, results_path: Path | None = None,
                     hidden_modules=None) -> ExecutionResult:
    """Execute ``nb`` in an isolated kernel whose working directory is ``workdir``.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook to run (nbformat 4); a deep copy is executed.
    workdir : Path
        Holds only what the grader put there (the submission copy, ``plan.json``); the
        kernel's cwd, seen inside the sandbox as ``/home/student/work``.
    env : dict of str to str
        Extra environment of the kernel (``CONVGRADE_PLAN``...). A value naming a path
        under ``workdir`` (or containing ``{workdir}``) is translated to the kernel's view.
        Nothing else of the grader's environment reaches the kernel.
    limits : Limits, optional
        Defaults to ``Limits()`` (issue 4's defaults).
    kernel_python : Path
        The students' interpreter, ``.venv-student/bin/python``.
    require_sandbox : bool
        Raise :class:`autograder.isolation.sandbox.SandboxUnavailable` rather than run without
        bubblewrap.
    results_path : Path, optional
        Where to make the results channel's FIFO (inside ``workdir``); its records come
        back in ``ExecutionResult.records``, cell by cell.
    hidden_modules : dict of str to str
        ``{module: folder}`` of the students' environment that are absent inside the
        sandbox (see :class:`autograder.isolation.sandbox.Sandbox`): libraries an assignment bans.
    """
    limits = Limits() if limits is None else limits
    if not isinstance(limits, Limits):
        raise TypeError("limits: expected autograder.pipeline.execute.Limits, got %s" % type(limits).__name__)
    if not isinstance(nb, nbformat.NotebookNode) or "cells" not in nb:
        raise TypeError("nb: expected an nbformat 4 NotebookNode, got %s" % type(nb).__name__)
    channel = ResultsChannel(results_path) if results_path is not None else None
    run = _Run(copy.deepcopy(nb), Path(workdir), dict(env), limits, kernel_python, require_sandbox, channel,
               dict(hidden_modules or {}))
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run.main())
    # called from a running event loop (a notebook, an async server): use a thread of our own
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("result", asyncio.run(run.main())))
    thread.start()
    thread.join()
    if "result" not in box:
        raise RuntimeError("execute_notebook: the execution thread ended without a result")
    return box["result"]


class _ReadyClient(AsyncKernelClient):
    """jupyter_client's asynchronous client, ready as soon as the kernel has answered.

    jupyter_client's ``wait_for_ready`` sends ``kernel_info`` until the reply comes and an
    IOPub message shows IOPub connected (both kept here), then reads IOPub until it has
    been silent for 0.2 s: 200 ms of every notebook spent idle (measured, 2026-12-06: the
    reply 0.32-0.49 s after the launch, ready 0.2 s later, every time). Nothing needs that
    silence: nbclient takes from IOPub only the messages whose parent is the request it
    sent, so a ``status`` message of the readiness check still queued is skipped.

    The reply is kept in ``kernel_info_reply`` (the notebook's ``language_info``)."""

    kernel_info_reply = None

    async def wait_for_ready(self, timeout=None):
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await ensure_async(self.shell_channel.get_msg(timeout=1))
            except Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply":
                    try:  # IOPub connected? (else start over)
                        await ensure_async(self.iopub_channel.get_msg(timeout=0.2))
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        self.kernel_info_reply = msg
                        return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError("Kernel didn't respond in %g seconds" % timeout)


class _SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel is the sandbox's command, reached over ipc sockets.

    Its clients' sockets refuse messages larger than the whole output cap (ZeroMQ drops
    the connection, then reconnects) and queue at most :data:`RECEIVE_QUEUE` messages, so
    a kernel sending gigabytes cannot make the grader hold them."""

    def __init__(self, sandbox, env, kernel_log, **kwargs):
        super().__init__(transport="ipc", ip=sandbox.socket_prefix, connection_file=sandbox.connection_file,
                         kernel_name="python3", **kwargs)
        self._sandbox, self._env, self._kernel_log = sandbox, env, kernel_log
        self.client_factory = _ReadyClient
        self.client_context = zmq.asyncio.Context()
        self.client_context.setsockopt(zmq.MAXMSGSIZE, sandbox.limits.max_output_bytes + MESSAGE_OVERHEAD)
        self.client_context.setsockopt(zmq.RCVHWM, RECEIVE_QUEUE)
        self.client_context.setsockopt(zmq.RECONNECT_IVL, CONNECT_RETRY_MS)
        self._kernel_spec = KernelSpec(argv=[sandbox.kernel_python, "-m", "ipykernel_launcher", "-f",
                                             "{connection_file}"],
                                       display_name="Python 3 (convgrade sandbox)", language="python",
                                       resource_dir=str(sandbox.runtime))

    def client(self, **kwargs):
        kwargs.setdefault("context", self.client_context)
        return super().client(**kwargs)

    def format_kernel_cmd(self, extra_arguments=None):
        return self._sandbox.kernel_command(extra_arguments or [])

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        if self._sandbox.uid is not None:  # the kernel runs as the notebook's uid and must read it
            os.chown(self.connection_file, self._sandbox.uid, self._sandbox.uid)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        kw.update(self._sandbox.popen_options())
        # independent (no JPY_PARENT_PID) in bubblewrap: the kernel cannot see our pid from
        # its namespace, and the launch guard ends it with us; without, it watches our pid too
        kw.update(env=self._sandbox.kernel_env(self._env), independent=self._sandbox.support.bubblewrap,
                  stdout=self._kernel_log, stderr=subprocess.STDOUT)
        await super()._async_launch_kernel(kernel_cmd, **kw)

    @property
    def process(self):
        provisioner = self.provisioner
        return getattr(provisioner, "process", None) if provisioner is not None else None


class _CappedClient(NotebookClient):
    """nbclient's client, keeping at most ``max_output_bytes`` of outputs in all.

    A stream message that crosses the cap keeps the part that fits; everything after it
    is dropped, and each cell that lost output gets a one-line note instead."""

    def __init__(self, nb, km, max_output_bytes, **kwargs):
        super().__init__(nb, km=km, **kwargs)
        self.max_output_bytes = max_output_bytes
        self.kept_bytes = 0
        self.dropped = defaultdict(int)
        self.current_cell = None
        self.iopub_monitor = self.shell_monitor = None
        self.shell_lost = False

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        self.iopub_monitor = kc.iopub_channel.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        self.shell_monitor = kc.shell_channel.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        return kc

    async def _async_check_alive(self):
        # A shell reply over the size limit cost us the shell connection: the kernel is as
        # good as dead, so say so now instead of waiting for the cell's time-out. A kernel
        # that died drops the connection too, a moment before its process is reaped.
        if self.shell_monitor is not None and await self.shell_monitor.poll(0):
            for _ in range(20):
                if not await self.kc.is_alive():
                    break
                await asyncio.sleep(0.05)
            else:
                self.shell_lost = True
                raise DeadKernelError("the kernel's shell connection was dropped")
        await super()._async_check_alive()

    async def revive_iopub(self):
        """Connect IOPub again if ZeroMQ dropped it (a message over MAXMSGSIZE: libzmq
        then does not reconnect by itself), and wait until the kernel publishes to the new
        socket. Returns whether it had to."""
        if self.iopub_monitor is None or not await self.iopub_monitor.poll(0):
            return False
        channel = self.kc.iopub_channel
        self.close_iopub_monitor()
        channel.socket.close(linger=0)
        channel.socket = self.kc.connect_iopub()
        self.iopub_monitor = channel.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        await self.kc.wait_for_ready(timeout=10)
        return True

    def close_iopub_monitor(self):
        self.iopub_monitor = _close_monitor(self.kc.iopub_channel, self.iopub_monitor)

    def close_monitors(self):
        self.close_iopub_monitor()
        self.shell_monitor = _close_monitor(self.kc.shell_channel, self.shell_monitor)

    def process_message(self, msg, cell, cell_index):
        msg_type = msg["msg_type"]
        if msg_type in _OUTPUT_MESSAGES or msg_type.startswith("comm"):
            size = _text_bytes(msg["content"])
            room = self.max_output_bytes - self.kept_bytes
            if size > room:
                if msg_type == "stream" and room > 0:
                    self.dropped[cell_index] += size - room
                    msg = dict(msg, content=dict(msg["content"], text=_prefix(msg["content"].get("text", ""), room)))
                    size = room
                else:
                    self.dropped[cell_index] += size
                    return None
            self.kept_bytes += size
        return super().process_message(msg, cell, cell_index)

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        previous, self.current_cell = self.current_cell, cell_index
        if await self.revive_iopub() and previous is not None:
            self.nb.cells[previous].outputs.append(nbformat.v4.new_output(
                "stream", name="stderr", text="[convgrade] the kernel sent a message larger than the output "
                                              "cap; it and the outputs after it in this cell were dropped.\n"))
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        finally:
            if self.dropped.get(cell_index):
                cell.outputs.append(nbformat.v4.new_output(
                    "stream", name="stderr",
                    text="[convgrade] %d bytes of output dropped: a notebook keeps at most %d bytes of "
                         "output.\n" % (self.dropped[cell_index], self.max_output_bytes)))


def _close_monitor(channel, monitor):
    if monitor is not None:
        try:
            channel.socket.disable_monitor()
        except Exception:  # the socket is already closed
            pass
        monitor.close(linger=0)


def _text_bytes(value):
    """Size in bytes (UTF-8) of the values in a message content, recursively; of a
    stream message, its text."""
    if isinstance(value, str):
        return len(value) if value.isascii() else len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, dict):
        if "text" in value and value.get("name") in ("stdout", "stderr"):
            return _text_bytes(value["text"])
        return sum(_text_bytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_text_bytes(v) for v in value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return len(value)
    return 8


def _prefix(text, limit):
    """The longest prefix of ``text`` of at most ``limit`` UTF-8 bytes."""
    if text.isascii():
        return text[:limit]
    return text.encode("utf-8", "surrogatepass")[:limit].decode("utf-8", "ignore")


class _Run:
    """One execution: the sandbox, the kernel, the client, the deadline and the end."""

    def __init__(self, nb, workdir, env, limits, kernel_python, require_sandbox, channel=None,
                 hidden_modules=None):
        self.nb, self.workdir, self.env, self.limits = nb, workdir, env, limits
        self.kernel_python, self.require_sandbox = kernel_python, require_sandbox
        self.channel, self.hidden_modules = channel, hidden_modules
        self.records, self.sealed_cell = {}, None
        self.watchdog_fired = False

    async def main(self):
        started = time.monotonic()
        limits = self.limits
        deadline = started + limits.notebook_timeout
        with Sandbox(self.workdir, self.kernel_python, limits, require_sandbox=self.require_sandbox,
                     hidden_modules=self.hidden_modules) as sandbox, \
                tempfile.TemporaryFile() as kernel_log:
            km = _SandboxKernelManager(sandbox, self.env, kernel_log)
            client = _CappedClient(
                self.nb, km, limits.max_output_bytes, allow_errors=True,
                timeout_func=lambda cell: max(0.01, min(limits.cell_timeout, deadline - time.monotonic())),
                startup_timeout=max(1, int(min(60.0, limits.notebook_timeout))),
                shutdown_kernel="immediate", record_timing=False)
            watchdog = threading.Timer(limits.notebook_timeout + WATCHDOG_GRACE, self._kill, (sandbox, km))
            watchdog.daemon = True
            watchdog.start()
            disk = DiskWatch([self.workdir, sandbox.runtime], limits.max_disk_bytes,
                             lambda: sandbox.end_processes(km.process, grace=1.0))
            status, detail = "ok", "all %d code cells ran" % _code_cells(self.nb)
            loop = asyncio.get_running_loop()
            if self.channel is not None:
                self.channel.open(sandbox.uid)
                loop.add_reader(self.channel.fd, self.channel.drain)
            try:
                disk.start()
                # nbclient's own per-cell timeout (capped at the time left) normally fires
                # first; this deadline catches the waits it does not time (start, iopub)
                await asyncio.wait_for(self._execute(client, km),
                                       timeout=max(0.01, deadline + DEADLINE_SLACK - time.monotonic()))
            except (asyncio.TimeoutError, CellTimeoutError):
                status = "timeout"
                detail = self._timeout_detail(client, deadline)
            except DeadKernelError:
                # nbclient turns the cancellation of a cell at the deadline into DeadKernelError
                if self.watchdog_fired or time.monotonic() >= deadline:
                    status, detail = "timeout", self._timeout_detail(client, deadline)
                else:
                    status, detail = "crashed", self._crash_detail(client, km)
            except Exception as exc:  # the kernel never became ready, or could not be launched
                if client.current_cell is not None:
                    status, detail = "crashed", self._crash_detail(client, km)
                else:
                    status = "error"
                    detail = "the kernel could not start: %s%s" % (_one_line(str(exc) or type(exc).__name__),
                                                                   _log_tail(kernel_log, km))
                    log.error("execute_notebook: %s", detail)
            finally:
                watchdog.cancel()
                disk.close()
                await self._finish(client, km, sandbox)
                if self.channel is not None:
                    # the cell a time-out or crash interrupted keeps what it sent; what arrived
                    # after the last cell had finished belongs to no cell
                    interrupted = client.current_cell
                    self._take_records(None if interrupted == self.sealed_cell else interrupted)
                    loop.remove_reader(self.channel.fd)
                    self.channel.close()
            if disk.exceeded:  # the kernel was stopped for it: whatever nbclient made of that
                cell = client.current_cell
                status = "crashed"
                detail = "the kernel was stopped during %s: it %s" % (
                    "cell %d" % (cell + 1) if cell is not None else "its start", disk.exceeded)
            return ExecutionResult(self.nb, status, detail, list(sandbox.protections),
                                   round(time.monotonic() - started, 3), self.records,
                                   self.channel.losses.describe() if self.channel is not None else "")

    async def _execute(self, client, km):
        """nbclient's execute loop, without its process-wide signal handlers (a Ctrl-C must
        reach the grader, not just end this kernel)."""
        await km.start_kernel(extra_arguments=["--HistoryManager.hist_file=:memory:"])
        await client.async_start_new_kernel_client()
        reply = client.kc.kernel_info_reply  # the readiness check's (_ReadyClient)
        if reply is not None and "language_info" in reply["content"]:
            self.nb.metadata["language_info"] = reply["content"]["language_info"]
        for index, cell in enumerate(self.nb.cells):
            await client.async_execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
            self._take_records(index)
            self.sealed_cell = index
        client.set_widgets_metadata()

    def _take_records(self, index):
        """Seal what arrived through the results channel while cell ``index`` ran
        (``None``: read it and keep none of it)."""
        if self.channel is None:
            return
        lines = self.channel.take()
        if lines and index is not None:
            self.records.setdefault(index, []).extend(lines)

    def _kill(self, sandbox, km):
        self.watchdog_fired = True
        log.warning("execute_notebook: the watchdog ended a kernel %gs past its notebook deadline", WATCHDOG_GRACE)
        sandbox.end_processes(km.process)

    async def _finish(self, client, km, sandbox):
        if client.kc is not None:
            client.close_monitors()
            try:
                client.kc.stop_channels()
            except Exception:  # closing sockets of a dead kernel: nothing to save
                pass
            client.kc = None
        survivors = sandbox.end_processes(km.process)
        if survivors:
            log.error("execute_notebook: processes %s of a notebook survived SIGKILL", survivors)
        try:
            await km.cleanup_resources()
        except Exception:
            pass
        km.context.destroy(linger=0)
        km.client_context.destroy(linger=0)

    def _timeout_detail(self, client, deadline):
        cell = client.current_cell
        where = "cell %d" % (cell + 1) if cell is not None else "the kernel start"
        if time.monotonic() >= deadline - 0.05 or self.watchdog_fired:
            return "the notebook ran past its %gs limit (during %s)" % (self.limits.notebook_timeout, where)
        return "%s ran past the %gs limit per cell" % (where, self.limits.cell_timeout)

    def _crash_detail(self, client, km):
        cell = client.current_cell
        where = "cell %d" % (cell + 1) if cell is not None else "its start"
        if client.shell_lost:
            return ("the kernel sent a reply larger than the %d-byte limit during %s"
                    % (self.limits.max_output_bytes + MESSAGE_OVERHEAD, where))
        process = km.process
        code = process.poll() if process is not None else None
        return "the kernel stopped during %s (%s)" % (where, _exit_reason(code, self.limits))


def _exit_reason(code, limits):
    if code is None:
        return "its process stopped answering"
    # bubblewrap reports a child killed by signal N as exit status 128 + N
    number = -code if code < 0 else code - 128 if 128 < code < 160 else None
    if number is None:
        return "exit status %d" % code
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = "signal %d" % number
    why = {"SIGXCPU": ": CPU time limit of %ds" % limits.cpu_seconds,
           "SIGXFSZ": ": file size limit of %d bytes" % limits.max_file_bytes}.get(name, "")
    return "killed by %s%s" % (name, why)


def _log_tail(kernel_log, km):
    """The last line the kernel (or bubblewrap) wrote to its stdout/stderr, for a failed start."""
    process = km.process
    if process is not None:
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
    try:
        kernel_log.seek(0, 2)
        size = kernel_log.tell()
        kernel_log.seek(max(0, size - 4096))
        lines = [ln.strip() for ln in kernel_log.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    if not lines:
        return ""
    # the last line that names a failure, else the last line (tracebacks end in frames)
    telling = [ln for ln in lines if re.search(r"error|fail|fatal|denied|no such|cannot|can't", ln, re.I)]
    return " (kernel said: %s)" % _one_line((telling or lines)[-1])[:300]


def _one_line(text):
    return " ".join(str(text).split())


def _code_cells(nb):
    return sum(1 for c in nb.cells if c.cell_type == "code" and c.source.strip())
