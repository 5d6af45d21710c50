"""What a person does in JupyterLab 4, as Playwright steps: open a notebook, type into a cell,
run cells from the menu or the keyboard, read a cell's output; and a JupyterLab server that
must leave nothing behind, and the screenshots kept in docs/screenshots/.

Cells are found by their position, taken from the notebook file itself (``nbformat``), so a
test names cells by their nbgrader ``grade_id`` and never by what the page happens to show.
"""
from __future__ import annotations

import io
import os
import re
import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest

from autograder.classroom.lab import LabServer

ROOT = Path(__file__).resolve().parents[2]
# The README's screenshots are refreshed only on request, so `make test` never edits tracked
# files: CONVGRADE_SCREENSHOTS=docs/screenshots make test PYTEST_ARGS=tests/browser
SCREENSHOTS = Path(os.environ.get("CONVGRADE_SCREENSHOTS") or tempfile.gettempdir() + "/convgrade-screenshots")
if not SCREENSHOTS.is_absolute():
    SCREENSHOTS = ROOT / SCREENSHOTS
CELL = ".jp-Notebook .jp-Cell"


@contextmanager
def running_lab(course_root, *, student):
    """`LabServer` on a free loopback port; on the way out, checks that nothing of it is left:
    neither its process group nor a kernel it started."""
    lab = LabServer(course_root, student=student)
    with lab:
        assert lab.base_url.startswith("http://127.0.0.1:"), lab.base_url
        yield lab
    group = lab.process.pid
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        pass
    else:
        os.killpg(group, signal.SIGKILL)
        pytest.fail(f"JupyterLab's process group {group} was still alive after the server stopped")
    assert lab.leftover_processes() == [], "processes of the JupyterLab server outlived it"


def save_screenshot(target, name, **options):
    """Save a PNG of `target` (a page or a locator) as SCREENSHOTS/NAME, reduced to 64
    colours to keep the repository small; returns the full-colour PNG's bytes."""
    from PIL import Image

    png = target.screenshot(**options)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(SCREENSHOTS / name, optimize=True)
    return png


class Notebook:
    """A notebook open in JupyterLab, in the tab `page`; `path` is relative to the server's root."""

    def __init__(self, page, lab, path, file):
        self.page = page
        self.lab = lab
        self.path = path
        nb = nbformat.read(file, as_version=4)
        self.kinds = [cell.cell_type for cell in nb.cells]
        self.index = {cell.metadata.get("nbgrader", {}).get("grade_id"): i for i, cell in enumerate(nb.cells)}
        self.index.pop(None, None)

    def open(self, timeout=120_000):
        """Load the notebook's URL (the token logs the browser in) and wait for its kernel."""
        self.page.goto(f"{self.lab.base_url}/lab/tree/{self.path}?token={self.lab.token}")
        self.page.locator(CELL).nth(len(self.kinds) - 1).wait_for(state="attached", timeout=timeout)
        assert self.page.locator(CELL).count() == len(self.kinds), "JupyterLab shows a different number of cells"
        self.wait_for_kernel(timeout)
        return self

    def wait_for_kernel(self, timeout=120_000):
        """Until the status bar says the kernel is idle."""
        self.page.locator(".jp-StatusBar-Widget", has_text=re.compile(r"\| Idle")).first.wait_for(timeout=timeout)

    def cell(self, grade_id):
        return self.page.locator(CELL).nth(self.index[grade_id])

    def type_into(self, grade_id, code):
        """Click the cell's editor, select all of it and type `code` over it (as a paste: the editor's
        auto-indent would otherwise indent typed lines twice)."""
        editor = self.cell(grade_id).locator(".cm-content")
        editor.click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.insert_text(code)
        typed = "\n".join(editor.locator(".cm-line").all_text_contents())
        assert typed == code, f"the editor of {grade_id} holds\n{typed}"

    def menu(self, *labels):
        """Click through the menu bar: menu("Run", "Run All Cells")."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(labels[0])}$")).click()
        for label in labels[1:]:
            self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(label)}$")).click()

    def prompt(self, position):
        return self.page.locator(CELL).nth(position).locator(".jp-InputPrompt").text_content()

    def wait_until_run(self, grade_id_or_position, before=None, timeout=120_000):
        """Until a code cell shows an execution count, like [7]:, other than the prompt `before`."""
        position = self._position(grade_id_or_position)
        self.page.wait_for_function(
            "([sel, i, before]) => { const p = document.querySelectorAll(sel)[i]"
            ".querySelector('.jp-InputPrompt').textContent; return /\\[\\d+\\]/.test(p) && p !== before; }",
            arg=[CELL, position, before], timeout=timeout)

    def wait_until_idle(self, timeout=120_000):
        """Until no cell waits for the kernel (no [*]:) and the kernel is idle."""
        self.page.wait_for_function(
            "sel => ![...document.querySelectorAll(sel + ' .jp-InputPrompt')].some(p => p.textContent.includes('*'))",
            arg=CELL, timeout=timeout)
        self.wait_for_kernel(timeout)

    def run_cell(self, grade_id, timeout=120_000):
        """Select the cell (command mode) and press Shift+Enter; for a code cell, wait until it has run."""
        position = self.index[grade_id]
        before = self.prompt(position)
        self.page.locator(CELL).nth(position).locator(".jp-InputPrompt").click()
        self.page.keyboard.press("Shift+Enter")
        if self.kinds[position] == "code":
            self.wait_until_run(position, before, timeout)

    def run_from(self, grade_id, timeout=120_000):
        """Shift+Enter from the cell `grade_id` to the end, one cell at a time, each after the one
        before has finished (the keyboard's way past a failing cell); Ctrl+Enter on the last cell,
        so that no new cell is added."""
        start = self.index[grade_id]
        self.page.locator(CELL).nth(start).locator(".jp-InputPrompt").click()
        for position in range(start, len(self.kinds)):
            before = self.prompt(position)
            self.page.keyboard.press("Control+Enter" if position == len(self.kinds) - 1 else "Shift+Enter")
            if self.kinds[position] == "code":
                self.wait_until_run(position, before, timeout)

    def show(self, grade_id):
        """Scroll the cell to the top of the notebook panel and let the browser paint the cells
        around it (JupyterLab skips painting cells out of view)."""
        self.cell(grade_id).evaluate("el => el.scrollIntoView({block: 'start'})")
        self.page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        self.page.wait_for_timeout(500)

    def output_text(self, grade_id):
        return self.cell(grade_id).locator(".jp-OutputArea").text_content() or ""

    def errors(self, grade_id):
        """The cell's error outputs (tracebacks), as a locator: use with Playwright's `expect`,
        which waits for JupyterLab to render them."""
        return self.cell(grade_id).locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")

    def _position(self, grade_id_or_position):
        if isinstance(grade_id_or_position, int):
            return grade_id_or_position
        return self.index[grade_id_or_position]
