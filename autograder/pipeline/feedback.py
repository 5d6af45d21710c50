"""Between score and record: what a student reads in the autograded notebook.

Each autograded test cell's outputs become the score line, each check's message
(inputs described, never shown), the likely misconception in words, in the notebook's
language (:mod:`autograder.language`), and for a wrong feature map a small figure of
expected versus submitted with the wrong cells marked (:func:`feature_map_figure`).
What the student's code printed while the hidden checks ran is not kept, so it cannot
echo hidden inputs. nbgrader's auto comments (``No response.`` for an unchanged answer)
come from here too.

A function the student left as the release's ``raise NotImplementedError()`` is named
once, at the first check that calls it ("You have not written conv2d yet"); later checks
that reach it say "see above" instead of the same error once per case
(:func:`once_per_unwritten_function`).
"""
from __future__ import annotations

import ast
import base64
import io
import re
from dataclasses import replace

import nbformat
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
    cells = once_per_unwritten_function(dict(sorted(scores.cells.items())), rebuilt.merged, rebuilt.lang)
    feedback = {index: feedback_outputs(item, results, rebuilt.lang) for index, (item, results) in cells.items()}
    notebook = rebuild.autograded_notebook(rebuilt.merged, execution.notebook, feedback)
    comments = [(rebuilt.name, rebuild.grade_id(c), language.phrase("no_response", rebuilt.lang) if _unchanged(c)
                 else None)
                for c in rebuilt.merged.cells if rebuild.is_solution(c) or rebuild.is_task(c)]
    return notebook, comments


def note_on_cell(notebook, marker, text):
    """Add ``text`` as a printed output of the first code cell of ``notebook`` whose source
    assigns ``marker`` (such as ``MY_ID``); nothing when ``text`` is empty or no cell does."""
    if not text:
        return
    for cell in notebook.cells:
        if cell.cell_type == "code" and re.search(r"^\s*%s\s*=" % re.escape(marker), cell.source, re.MULTILINE):
            cell.outputs.append(nbformat.from_dict({"output_type": "stream", "name": "stdout", "text": text + "\n"}))
            return


def once_per_unwritten_function(cells, notebook, lang="en"):
    """``cells`` (``{test cell index: (ItemResult, [CheckResult])}``, in the notebook's
    order) with each case that raised NotImplementedError because of an unwritten function
    said once: "You have not written f yet" at the first check that reaches ``f``, "see
    above" at later ones. An item whose results change gets its message re-worded from them.
    """
    unwritten, calls = unwritten_functions(notebook)
    if not unwritten:
        return cells
    told, changed = set(), {}
    for index, (item, results) in cells.items():
        new_results = []
        for result in results:
            new, missing = _unwritten_outcomes(result, unwritten, calls, told, lang)
            new_results.append(new)
            told |= missing
        if new_results != list(results):
            item = replace(item, message="\n".join(language.check_message(r) for r in new_results))
        changed[index] = (item, new_results)
    return changed


def _unwritten_outcomes(result, unwritten, calls, told, lang):
    """``result`` with its NotImplementedError cases worded per :func:`once_per_unwritten_function`
    and the unwritten functions they named."""
    outcomes, named = [], set()
    for label, outcome in zip(result.labels or [""] * len(result.outcomes), result.outcomes):
        function = _raised_not_implemented(outcome.message, label, lang)
        missing = sorted(_reaches(function, unwritten, calls)) if function else []
        if not missing:
            outcomes.append(outcome)
            continue
        if function in unwritten:
            text = language.phrase("not_written_above" if function in told else "not_written", lang) % function
        else:
            text = language.phrase("calls_not_written", lang) % (function, ", ".join(missing))
        named.update(missing)
        outcomes.append(replace(outcome, message=text, misconception=None))
    return (replace(result, outcomes=outcomes) if named else result), named


def _raised_not_implemented(message, label, lang):
    """The function a case called when ``message`` says that it raised NotImplementedError
    (the score stage's ``raised`` sentence about case ``label``), else None."""
    called = re.match(r"[A-Za-z_]\w*(?=\()", label or "")
    if not called:
        return None
    parts = [re.escape(p) for p in language.phrase("raised", lang).split("%s")]
    if len(parts) != 4:  # the sentence lost a placeholder: leave the messages as they are
        return None
    pattern = parts[0] + re.escape(label) + parts[1] + "NotImplementedError" + parts[2] + ".*" + parts[3]
    return called.group(0) if re.match(pattern, message, re.DOTALL) else None


def _reaches(function, unwritten, calls):
    """The unwritten functions ``function`` is or calls, through the answers' functions."""
    found, seen, todo = set(), set(), [function]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in unwritten:
            found.add(name)
        else:
            todo.extend(calls.get(name, ()))
    return found


def unwritten_functions(notebook):
    """What the answer cells of ``notebook`` define: ``(unwritten, calls)``, the names of
    functions whose body only raises NotImplementedError (after a docstring, comments or
    ``pass``) and ``{function: names it calls}`` of every function they define."""
    unwritten, calls = set(), {}
    for cell in notebook.cells:
        if cell.cell_type != "code" or not rebuild.is_solution(cell):
            continue
        try:
            tree = ast.parse(cell.source)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                calls[node.name] = {n.func.id for n in ast.walk(node)
                                    if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
                if _only_raises_not_implemented(node.body):
                    unwritten.add(node.name)
    return unwritten, calls


def _only_raises_not_implemented(body):
    statements = [s for s in body if not isinstance(s, ast.Pass)
                  and not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if len(statements) != 1 or not isinstance(statements[0], ast.Raise) or statements[0].exc is None:
        return False
    exc = statements[0].exc
    exc = exc.func if isinstance(exc, ast.Call) else exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def _unchanged(cell):
    """nbgrader's SaveAutoGrades rule: an answer cell whose checksum is the release's."""
    checksum = cell.metadata.get("nbgrader", {}).get("checksum")
    return bool(checksum) and checksum == nbutils.compute_checksum(cell) and not rebuild.is_task(cell)


def feedback_outputs(item, results, lang="en"):
    """What a test cell shows in the autograded notebook: the score line, each check's
    message, and a figure of expected vs submitted for a wrong feature map."""
    text = (language.phrase("score", lang) + "\n%s\n") % (round(item.score, 2), item.max_score, item.message)
    if item.misconception and not any(r.audience == "school" for r in results):  # school: said once, above
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
