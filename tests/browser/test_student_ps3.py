"""A student uses ps3's filter explorer in JupyterLab: ipywidgets rendered by the browser,
driven by the student's own `apply_filter` in the students' kernel."""
from __future__ import annotations

import io
import re

import numpy as np
import pytest
from playwright.sync_api import expect
from PIL import Image

from lab_ui import Notebook, running_lab, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

APPLY_FILTER = '''def apply_filter(image, kernel):
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    kh, kw = kernel.shape
    rows, cols = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    out = np.zeros((rows, cols))
    for a in range(kh):
        for b in range(kw):
            out += kernel[a, b] * image[a:a + rows, b:b + cols]
    return out'''


def pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)


def test_student_changes_the_filter_explorers_preset_and_the_feature_map_changes(page, course_copy,
                                                                                 lab_environment):
    with running_lab(course_copy, student=True) as lab:
        nb = Notebook(page, lab, "ps3/ps3.ipynb", lab.root_dir / "ps3" / "ps3.ipynb").open()
        nb.type_into("apply_filter", APPLY_FILTER)
        for grade_id in ("setup", "filters", "apply_filter", "test_apply_filter", "explorer"):
            nb.run_cell(grade_id)
        expect(nb.errors("test_apply_filter")).to_have_count(0)

        explorer = nb.cell("explorer").locator(".jp-OutputArea")
        output = explorer.locator("img.filter-output")
        status = explorer.locator(".widget-html")
        preset = explorer.locator(".filter-preset select")
        status.filter(has_text="feature map 254 x 254").wait_for()
        assert preset.input_value() == "identity"
        nb.show("explorer")
        before_src = output.get_attribute("src")
        before = output.screenshot()
        save_screenshot(explorer, "ps3_explorer_identity.png")

        # The student picks another preset: the kernel redraws the feature map.
        preset.select_option("vertical edges (Sobel)")
        page.wait_for_function("([el, old]) => el.getAttribute('src') !== old",
                               arg=[output.element_handle(), before_src])
        status.filter(has_text="kernel sum 0").wait_for()
        boxes = explorer.locator(".filter-cell input")
        assert [float(boxes.nth(i).input_value()) for i in range(9)] == [-1, 0, 1, -2, 0, 2, -1, 0, 1]
        nb.show("explorer")
        after = output.screenshot()
        save_screenshot(explorer, "ps3_explorer_sobel.png")
        a, b = pixels(before), pixels(after)
        assert a.shape == b.shape
        changed = np.mean(np.abs(a - b) > 16)
        assert changed > 0.2, f"only {changed:.1%} of the feature map's pixels changed"

        # Typing a weight into the grid makes the kernel custom and redraws again.
        boxes.nth(4).fill("3")
        boxes.nth(4).press("Enter")
        page.wait_for_function("el => el.value === 'custom'", arg=preset.element_handle())
        status.filter(has_text=re.compile(r"kernel sum 3\b")).wait_for()
