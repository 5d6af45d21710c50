"""A student does ps2 in JupyterLab: writes conv1d, runs the notebook, validates it.

The server runs in student mode (a workspace copied from release/, kernels from the
students' environment), exactly what `make lab-student` starts.
"""
from __future__ import annotations

import nbformat
import pytest
from playwright.sync_api import expect

from lab_ui import Notebook, running_lab, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

CONV1D = '''def conv1d(x, w):
    """Valid 1-D cross-correlation: out[i] = sum_j x[i + j] * w[j]."""
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    return np.array([np.sum(x[i:i + len(w)] * w) for i in range(len(x) - len(w) + 1)])'''
# Test cells of the functions the student has not written yet, and a line of each.
UNTOUCHED = {"test_output_size": "output_size(5, 3)", "test_conv2d": "conv2d(image, vertical)",
             "test_relu": "relu(np.array(", "test_max_pool2d": "max_pool2d(x)",
             "test_avg_pool2d": "avg_pool2d(x)", "test_conv_layer": "conv_layer(rgb, filters"}


def test_student_writes_conv1d_runs_the_tests_and_validates(page, course_copy, lab_environment):
    with running_lab(course_copy, student=True) as lab:
        file = lab.root_dir / "ps2" / "ps2.ipynb"
        nb = Notebook(page, lab, "ps2/ps2.ipynb", file).open()
        assert "Python 3 (student)" in page.locator(".jp-Toolbar-kernelName").first.text_content()

        nb.type_into("conv1d", CONV1D)

        # Run > Run All Cells stops at the first failing cell: the test of output_size, not written yet.
        nb.menu("Run", "Run All Cells")
        nb.wait_until_run("test_output_size")
        nb.wait_until_idle()
        expect(nb.errors("test_output_size")).to_contain_text("NotImplementedError")
        assert not nb.output_text("test_conv1d"), "cells after the failing one should not have run"

        # So the student goes on from conv1d's cell with Shift+Enter, cell by cell, to the end.
        nb.run_from("conv1d")
        for grade_id in UNTOUCHED:  # each function still a stub fails its tests, and says so
            expect(nb.errors(grade_id)).to_contain_text("NotImplementedError")
        expect(nb.errors("test_conv1d")).to_have_count(0)
        nb.show("conv1d")
        save_screenshot(page, "ps2_conv1d_tests.png")

        # nbgrader's Validate button saves the notebook and runs it in the students' kernel.
        page.locator(".validate-button").click()
        dialog = page.locator(".jp-Dialog")
        dialog.wait_for(timeout=180_000)
        assert "Validation Results" in dialog.locator(".jp-Dialog-header").text_content()
        verdict = dialog.locator("#validation-message")
        assert "validation-failed" in verdict.get_attribute("class")
        failed = verdict.text_content()
        for grade_id, line in UNTOUCHED.items():
            assert line in failed, f"the verdict should name the failing cell {grade_id}"
        assert "conv1d(np.array([0, 0, 0, 1, 1, 0, 0, 0])" not in failed, "conv1d's tests passed"
        save_screenshot(page, "ps2_validate.png")
        dialog.locator(".jp-Dialog-button", has_text="Ok").click()

        # Validate saved what the student typed, in the workspace, not in release/.
        saved = nbformat.read(file, as_version=4)
        assert saved.cells[nb.index["conv1d"]].source == CONV1D
        assert "NotImplementedError" in nbformat.read(course_copy / "release" / "ps2" / "ps2.ipynb",
                                                      as_version=4).cells[nb.index["conv1d"]].source
