"""Between score and record: what a student reads in the autograded notebook.

Each autograded test cell's outputs become the score line, each check's message
(inputs described, never shown), the likely misconception in words, in the notebook's
language (:mod:`autograder.language`), and for a wrong feature map a small figure of
expected versus submitted with the wrong cells marked (:func:`feature_map_figure`).
What the student's code printed while the hidden checks ran is not kept, so it cannot
echo hidden inputs. nbgrader's auto comments (``No response.`` for an unchanged answer)
come from here too.
"""
from __future__ import annotations

import base64
import io

import numpy as np
from nbgrader import utils as nbutils

from autograder import language
from autograder.pipeline import rebuild

MAX_FIGURE_CELLS = 48  # a side longer than this is not drawn (the message says enough)


def feedback_notebook(rebuilt, execution, scores):
    """The autograded notebook of a scored notebook and nbgrader's auto comments.

    Returns ``(notebook, comments)``: the merged notebook with the executed outputs and
    each checked test cell's feedback (:func:`feedback_outputs`); ``[(notebook name,
    grade id, comment or None)]`` for every answer and task cell.
    """
    feedback = {index: feedback_outputs(item, results, rebuilt.lang)
                for index, (item, results) in scores.cells.items()}
    notebook = rebuild.autograded_notebook(rebuilt.merged, execution.notebook, feedback)
    comments = [(rebuilt.name, rebuild.grade_id(c), language.phrase("no_response", rebuilt.lang) if _unchanged(c)
                 else None)
                for c in rebuilt.merged.cells if rebuild.is_solution(c) or rebuild.is_task(c)]
    return notebook, comments


def _unchanged(cell):
    """nbgrader's SaveAutoGrades rule: an answer cell whose checksum is the release's."""
    checksum = cell.metadata.get("nbgrader", {}).get("checksum")
    return bool(checksum) and checksum == nbutils.compute_checksum(cell) and not rebuild.is_task(cell)


def feedback_outputs(item, results, lang="en"):
    """What a test cell shows in the autograded notebook: the score line, each check's
    message, and a figure of expected vs submitted for a wrong feature map."""
    text = (language.phrase("score", lang) + "\n%s\n") % (round(item.score, 2), item.max_score, item.message)
    if item.misconception:
        text += "\n" + language.phrase("likely_misconception", lang) % language.misconception_text(
            item.misconception, lang) + "\n"
    outputs = [{"output_type": "stream", "name": "stdout", "text": text}]
    for result in results:
        for outcome in result.outcomes:
            if outcome.fraction < 1 and outcome.expected is not None and outcome.submitted is not None:
                png = feature_map_figure(outcome.expected, outcome.submitted, lang)
                if png:
                    outputs.append({"output_type": "display_data", "metadata": {},
                                    "data": {"image/png": png,
                                             "text/plain": language.phrase("figure_alt", lang)}})
                    break  # one figure per check is enough to see the pattern
    return outputs


def feature_map_figure(expected, submitted, lang="en"):
    """A PNG (base64 text) of ``expected`` beside ``submitted`` with wrong cells marked.

    Parameters
    ----------
    expected, submitted : array_like
        Feature maps, ``(W,)``, ``(H, W)`` or ``(H, W, F)`` (the first channel with a
        wrong entry is drawn). Entries differing by more than ``1e-6`` (absolute and
        relative) get a red frame; with different shapes both are drawn unmarked.

    Returns
    -------
    str or None
        None when either is not a small numeric array (nothing useful to draw).
    """
    try:
        exp = np.asarray(expected, dtype=float)
        sub = np.asarray(submitted, dtype=float)
    except (TypeError, ValueError):
        return None
    exp, sub, channel = _drawable(exp, sub)
    if exp is None or max(exp.shape + sub.shape) > MAX_FIGURE_CELLS:
        return None
    # matplotlib, which takes a second to load, only for a wrong feature map
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    figure = Figure(figsize=(6.4, 3.2), dpi=80)
    vmin = float(np.nanmin([np.nanmin(exp), np.nanmin(sub)])) if exp.size and sub.size else 0.0
    vmax = float(np.nanmax([np.nanmax(exp), np.nanmax(sub)])) if exp.size and sub.size else 1.0
    same = exp.shape == sub.shape
    wrong = ~np.isclose(sub, exp, rtol=1e-6, atol=1e-6, equal_nan=True) if same else None
    for position, (label, data) in enumerate(((language.phrase("figure_expected", lang), exp),
                                              (language.phrase("figure_yours", lang), sub)), start=1):
        axes = figure.add_subplot(1, 2, position)
        axes.imshow(data, cmap="viridis", vmin=vmin, vmax=vmax if vmax > vmin else vmin + 1,
                    interpolation="nearest")
        axes.set_title("%s %s" % (label, "x".join(map(str, data.shape))), fontsize=9)
        axes.set_xticks([])
        axes.set_yticks([])
        if wrong is not None and position == 2:
            for r, c in zip(*np.nonzero(wrong)):
                axes.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=1.5))
    title = language.phrase("figure_title", lang) if channel is None else \
        language.phrase("figure_title_channel", lang) % channel
    figure.suptitle(title + (language.phrase("figure_cells_wrong", lang) % (int(wrong.sum()), wrong.size)
                             if wrong is not None else language.phrase("figure_shapes_differ", lang)), fontsize=9)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _drawable(exp, sub):
    """Both as 2-D arrays, and the channel drawn (None for 2-D maps); (None, None, None)
    if they are not drawable."""
    if exp.ndim == 3 and sub.ndim == 3 and exp.shape == sub.shape:
        bad = [f for f in range(exp.shape[2])
               if not np.allclose(sub[..., f], exp[..., f], rtol=1e-6, atol=1e-6, equal_nan=True)]
        channel = bad[0] if bad else 0
        return exp[..., channel], sub[..., channel], channel
    if exp.ndim == 1:
        exp = exp[None, :]
    if sub.ndim == 1:
        sub = sub[None, :]
    if exp.ndim != 2 or sub.ndim != 2 or not exp.size or not sub.size:
        return None, None, None
    return exp, sub, None
