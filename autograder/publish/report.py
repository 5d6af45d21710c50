"""The teacher's report: one self-contained HTML page about a whole class.

``convgrade report`` calls :func:`build_report`. The page reads only the gradebook
(through :mod:`autograder.publish.export`, so it shows exactly the numbers an export
writes) and holds, in this order:

1. at a glance: per assignment, its due date and late policy, how many submissions
   have a final grade, the mean and median score, how many timed out, crashed or
   could not be read; and how many students are in each state
   (:data:`autograder.records.STATES`: not released, not due, not handed in,
   collected but not graded, manual marking pending, graded, late);
2. the score distribution of each assignment (a histogram, in % of the marks);
3. which items the class finds hardest (mean share of the marks per item);
4. the most frequent misconceptions across the class, with the explanation the
   students saw (:data:`autograder.language.en.MISCONCEPTIONS`);
5. students at risk, over the assignments that are due only: a mean below
   :data:`AT_RISK_PERCENT` (nothing handed in counts 0) or a submission not handed in,
   timed out, crashed or unreadable;
6. what waits for the teacher: answers to mark by hand (where, in formgrader),
   submissions collected but not graded, and identity flags grading raised;
7. every student's score (or state) per assignment.

Only a final grade (state ``graded`` or ``late``) is shown as a score or counted in a
mean; a student who handed nothing in for a due assignment counts as 0.

Figures are matplotlib PNGs embedded as base64 ``data:`` URIs; the page has no
script and no external link, so it can be mailed or opened offline. Every string
that comes from a student or the gradebook (names, ids, messages) is escaped, and the
page's Content-Security-Policy (:data:`autograder.inert.sanitize.CONTENT_SECURITY_POLICY`)
lets nothing but its inline style and ``data:`` images load or run.
"""
from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from autograder.errors import ConvgradeError
from autograder.inert.sanitize import csp_meta
from autograder.language.en import MISCONCEPTIONS, STATUS_WORDS
from autograder.publish import export
from autograder.records import FINAL_STATES, STATES, TROUBLE_STATUSES

#: A student whose mean score over the assignments is below this share is at risk.
AT_RISK_PERCENT = 50.0


@dataclass
class ReportData:
    """What the page shows, as plain tables (each also useful on its own).

    grades : one row per (assignment, student), :data:`autograder.publish.export.GRADE_COLUMNS`
    items : one row per graded item, :data:`autograder.publish.export.ITEM_COLUMNS`
    assignments : per assignment: due, late policy, students, final grades, mean/median %,
        one column per trouble status and one per state
    hardest : per item: mean % of its marks, students on full / zero marks
    misconceptions : per misconception: items and students it was found in, explanation
    at_risk : per student at risk: mean %, the reasons
    waiting : what waits for the teacher, one row per (assignment, what): students, answers, where
    flags : identity flags grading raised: student, assignment, the flag
    """

    grades: pd.DataFrame
    items: pd.DataFrame
    assignments: pd.DataFrame
    hardest: pd.DataFrame
    misconceptions: pd.DataFrame
    at_risk: pd.DataFrame
    waiting: pd.DataFrame
    flags: pd.DataFrame


def report_data(course) -> ReportData:
    """Read ``course``'s gradebook and compute the report's tables."""
    grades = counted_percent(export.read_grades(course))
    items = export.read_items(course)
    return ReportData(grades=grades, items=items, assignments=assignment_summary(grades),
                      hardest=item_difficulty(items), misconceptions=misconception_counts(items),
                      at_risk=students_at_risk(grades), waiting=waiting_work(grades, items),
                      flags=identity_flags(grades))


def counted_percent(grades: pd.DataFrame) -> pd.DataFrame:
    """``grades`` with ``percent`` (% of the marks, a final grade only, else NaN) and
    ``counted`` (what a mean counts: ``percent``, 0 for a due assignment not handed in)."""
    final = grades["state"].isin(FINAL_STATES)
    percent = _percent(grades["score"], grades["max_score"]).where(final)
    return grades.assign(percent=percent, counted=percent.where(final, 0.0).where(
        final | (grades["state"] == "not handed in")))


def assignment_summary(grades: pd.DataFrame) -> pd.DataFrame:
    """Per assignment: ``due`` (text), ``late_policy``, ``students``, ``final`` (final
    grades), ``mean_percent`` and ``median_percent`` (over :func:`counted_percent`'s
    ``counted``), one count column per trouble status and one per state."""
    columns = ["assignment", "due", "late_policy", "students", "max_score", "final", "mean_percent",
               "median_percent", *TROUBLE_STATUSES, *STATES]
    rows = []
    for name, own in grades.groupby("assignment", sort=False):
        due = own["duedate"].iloc[0]
        due = "" if pd.isna(due) else "%s UTC" % pd.Timestamp(due).strftime("%Y-%m-%d %H:%M")
        row = {"assignment": name, "due": due,
               "late_policy": ", ".join(sorted(set(own["late_policy"]) - {""})),
               "students": len(own), "max_score": float(own["max_score"].max()),
               "final": int(own["state"].isin(FINAL_STATES).sum()),
               "mean_percent": float(own["counted"].mean()), "median_percent": float(own["counted"].median())}
        judged = own[own["state"].isin(FINAL_STATES)]["status"].value_counts()
        states = own["state"].value_counts()
        row.update({status: int(judged.get(status, 0)) for status in TROUBLE_STATUSES})
        row.update({state: int(states.get(state, 0)) for state in STATES})
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def item_difficulty(items: pd.DataFrame) -> pd.DataFrame:
    """Per graded item, hardest first: ``mean_percent`` of its marks over the graded
    submissions (status ``graded``, answer not waiting for the teacher), ``full`` and
    ``zero`` counts, ``check_ids``."""
    keys = ["assignment", "notebook", "grade_id"]
    if items.empty:
        return pd.DataFrame(columns=keys + ["check_ids", "max_score", "submissions",
                                            "mean_percent", "full", "zero"])
    # only answers that were judged: not a notebook that never ran, not one waiting for the teacher
    graded = items[(items["max_score"] > 0) & (items["status"] == "graded") & ~items["needs_manual_grade"]]
    table = graded.groupby(keys, sort=False).agg(
        check_ids=("check_ids", "first"), max_score=("max_score", "max"),
        submissions=("fraction", "size"), mean_percent=("fraction", "mean"),
        full=("fraction", lambda f: int((f >= 1 - 1e-9).sum())),
        zero=("fraction", lambda f: int((f <= 1e-9).sum()))).reset_index()
    table["mean_percent"] = 100.0 * table["mean_percent"]
    return table.sort_values(["mean_percent"] + keys, kind="stable").reset_index(drop=True)


def misconception_counts(items: pd.DataFrame) -> pd.DataFrame:
    """Per misconception, shared by the most students first: ``items`` (graded items it
    was found in), ``students`` (distinct students), ``where`` (the item ids) and ``explanation``
    (the student-facing text of :data:`autograder.language.en.MISCONCEPTIONS`)."""
    columns = ["misconception", "items", "students", "where", "explanation"]
    found = items[items["misconception"].notna()] if not items.empty else items
    if found.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for key, own in found.groupby("misconception"):
        where = sorted(set(own["assignment"] + "/" + own["grade_id"]))
        rows.append({"misconception": key, "items": len(own),
                     "students": own["student_id"].nunique(), "where": ", ".join(where),
                     "explanation": MISCONCEPTIONS.get(key, "")})
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["students", "items", "misconception"],
                             ascending=[False, False, True]).reset_index(drop=True)


def students_at_risk(grades: pd.DataFrame) -> pd.DataFrame:
    """Over the assignments that are due only (``assignment_due``): students whose mean
    (:func:`counted_percent`'s ``counted``) is below :data:`AT_RISK_PERCENT` %, or who
    handed nothing in, or have a final grade in :data:`autograder.records.TROUBLE_STATUSES`
    (marks lost to something other than their answers); lowest mean first, with the reasons.
    An assignment not due yet, or a grade not final, says nothing about risk."""
    columns = ["student_id", "name", "mean_percent", "reasons"]
    rows = []
    for student_id, own in grades[grades["assignment_due"].astype(bool)].groupby("student_id", sort=True):
        mean = float(own["counted"].mean()) if own["counted"].notna().any() else float("nan")
        reasons = []
        if mean < AT_RISK_PERCENT:
            reasons.append("mean score %.0f%% (below %.0f%%)" % (mean, AT_RISK_PERCENT))
        for row in own.itertuples(index=False):
            if row.state == "not handed in":
                reasons.append("%s: %s" % (row.assignment, row.state))
            elif row.state in FINAL_STATES and row.status in TROUBLE_STATUSES:
                reasons.append("%s: %s" % (row.assignment, STATUS_WORDS.get(row.status, row.status)))
        if reasons:
            first = own.iloc[0]
            name = _full_name(first["first_name"], first["last_name"])
            rows.append({"student_id": student_id, "name": name, "mean_percent": mean,
                         "reasons": "; ".join(reasons)})
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["mean_percent", "student_id"], kind="stable").reset_index(drop=True)


def waiting_work(grades: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """What waits for the teacher, one row per (assignment, what): ``what`` ("manual
    marking pending" or "collected, not graded"), ``students`` (their ids), ``answers``
    (answers to mark by hand), ``items`` (which) and ``where`` (what to open or run)."""
    columns = ["assignment", "what", "students", "answers", "items", "where"]
    rows = []
    for (name, state), own in grades[grades["state"].isin(export.UNFINISHED_STATES)].groupby(
            ["assignment", "state"], sort=True):
        row = {"assignment": name, "what": state, "students": ", ".join(sorted(own["student_id"])),
               "answers": int(own["pending_items"].sum()), "items": "", "where": ""}
        if state == "manual marking pending":
            mine = items[(items["assignment"] == name) & items["needs_manual_grade"]]
            notebooks = sorted(set(mine["notebook"]))
            row["items"] = ", ".join(sorted(set(mine["grade_id"])))
            row["where"] = "; ".join("formgrader: Manual Grading \u203a %s \u203a %s (/formgrader/gradebook/%s/%s)"
                                     % (name, nb, name, nb) for nb in notebooks)
        else:
            row["where"] = "run: convgrade autograde %s" % name
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def identity_flags(grades: pd.DataFrame) -> pd.DataFrame:
    """The identity flags grading raised (``convgrade_submission.id_flag``, e.g. a student
    who typed a classmate's id): ``student_id, assignment, flag``."""
    flagged = grades[grades["id_flag"].astype(str).str.strip() != ""]
    return flagged.reindex(columns=["student_id", "assignment", "id_flag"]).rename(
        columns={"id_flag": "flag"}).reset_index(drop=True)


def build_report(course, output="report.html") -> Path:
    """Write the teacher's report of ``course`` to ``output`` (HTML) and return its path."""
    output = Path(output)
    if not output.parent.is_dir():
        raise ConvgradeError("cannot write %s: folder %s does not exist" % (output, output.parent))
    data = report_data(course)
    title = "convgrade report"
    root = getattr(course, "root", course)
    if isinstance(root, (str, Path)) and "://" not in str(root):
        title += " - " + Path(root).resolve().name
    output.write_text(render_html(data, title=title), encoding="utf-8")
    return output


def render_html(data: ReportData, title="convgrade report") -> str:
    """The whole page as one string (see the module docstring for its sections)."""
    e = _esc
    grades, summary = data.grades, data.assignments
    n_students = grades["student_id"].nunique()
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', csp_meta(),
        "<title>%s</title>" % e(title), "<style>%s</style></head><body>" % _CSS,
        "<h1>%s</h1>" % e(title),
        '<p class="meta">%d students, %d assignments, %d graded items. Made %s.</p>'
        % (n_students, len(summary), len(data.items),
           e(_dt.datetime.now().strftime("%Y-%m-%d %H:%M"))),
    ]

    parts.append("<h2>1. At a glance</h2>")
    parts.append(_headlines(data))
    parts.append("<p>Scores are in percent of the marks and count final grades only (graded, or "
                 "graded and late); a student who handed nothing in for an assignment that is due "
                 "counts as 0%%. <em>Ran out of time</em>, <em>crashed</em> and <em>could not be "
                 "read</em> mean the notebook itself stopped the grading; look at those "
                 "students' work yourself.</p>".replace("%%", "%"))
    parts.append(_table(summary.reindex(columns=["assignment", "due", "late_policy", "max_score", "final",
                                                 "mean_percent", "median_percent", *TROUBLE_STATUSES]).assign(
        mean_percent=summary["mean_percent"].map(_pct), median_percent=summary["median_percent"].map(_pct),
        max_score=summary["max_score"].map(_num)).rename(columns={
            "assignment": "Assignment", "due": "Due", "late_policy": "Late policy", "max_score": "Marks",
            "final": "Final grades", "mean_percent": "Mean", "median_percent": "Median",
            "timeout": "Ran out of time", "crashed": "Crashed", "corrupt": "Could not be read",
            "missing": "Notebook missing", "error": "Grading error"})))
    parts.append("<p>Where each student stands, per assignment. Only <em>graded</em> and "
                 "<em>late</em> are grades an export writes; every other state is left empty "
                 "there, never 0.</p>")
    parts.append(_table(summary.reindex(columns=["assignment", *STATES]).rename(
        columns={"assignment": "Assignment", **{state: state.capitalize() for state in STATES}})))

    parts.append("<h2>2. Score distribution per assignment</h2>")
    parts.append("<p>How many students scored in each band. A peak on the left means many "
                 "students are stuck; two peaks mean the class is split.</p>")
    if len(grades):
        parts.append(_img(_distribution_figure(grades), "Histogram of scores per assignment"))

    parts.append("<h2>3. Which items the class finds hardest</h2>")
    parts.append("<p>The mean share of the marks the class earned on each question, hardest "
                 "first. <em>Full</em> and <em>zero</em> count the students on full or no marks "
                 "for that question.</p>")
    hardest = data.hardest
    if len(hardest):
        parts.append(_img(_items_figure(hardest), "Mean score per item, hardest first"))
        shown = hardest.assign(mean_percent=hardest["mean_percent"].map(_pct),
                               max_score=hardest["max_score"].map(_num))
        if (shown["notebook"] == shown["assignment"]).all():  # one notebook per assignment: say it once
            shown = shown.drop(columns=["notebook"])
        parts.append(_table(shown.rename(columns={"assignment": "Assignment", "notebook": "Notebook", "grade_id": "Item",
                          "check_ids": "Checks", "max_score": "Marks", "submissions": "Submissions",
                          "mean_percent": "Mean", "full": "Full marks", "zero": "Zero"})))
    else:
        parts.append("<p>No graded items yet.</p>")

    parts.append("<h2>4. Most frequent misconceptions</h2>")
    mis = data.misconceptions
    if len(mis):
        parts.append("<p>When an answer was wrong, the grader compared it with the answers that "
                     "typical mistakes give. These are the mistakes it recognised, those most "
                     "students made first, with the explanation each student received. A "
                     "misconception many students share is worth a few minutes in class.</p>")
        parts.append(_img(_misconception_figure(mis), "Number of students per misconception"))
        parts.append(_table(mis.assign(misconception=mis["misconception"].map(_readable)).rename(columns={
            "misconception": "Misconception", "items": "Answers", "students": "Students",
            "where": "Found in", "explanation": "What the students were told"}), code_spans=True))
    else:
        parts.append("<p>No misconception was recognised in the wrong answers.</p>")

    parts.append("<h2>5. Students at risk</h2>")
    risk = data.at_risk
    parts.append("<p>Over the assignments that are due only: students whose mean score is below "
                 "%.0f%%, or who handed nothing in, or whose submission ran out of time, crashed or "
                 "could not be read.</p>" % AT_RISK_PERCENT)
    if len(risk):
        parts.append(_table(risk.assign(mean_percent=risk["mean_percent"].map(_pct)).rename(
            columns={"student_id": "Student", "name": "Name", "mean_percent": "Mean score",
                     "reasons": "Why"}), row_class="risk"))
    else:
        parts.append("<p>No student is at risk.</p>")

    parts.append("<h2>6. Waiting for you</h2>")
    parts.append(_waiting_section(data))

    parts.append("<h2>7. All students</h2>")
    parts.append(_table(_student_table(grades)))
    parts.append("</body></html>")
    return "\n".join(parts)


def _headlines(data):
    """Three sentences a teacher reads first: hardest item, commonest misconception, risk."""
    lines = []
    if len(data.hardest):
        top = data.hardest.iloc[0]
        lines.append("Hardest item: <b>%s / %s</b> (the class earned %s of its marks)."
                     % (_esc(top["assignment"]), _esc(top["grade_id"]), _pct(top["mean_percent"])))
    if len(data.misconceptions):
        top = data.misconceptions.iloc[0]
        students = int(top["students"])
        lines.append("Most common misconception: <b>%s</b> (%d student%s)."
                     % (_esc(_readable(top["misconception"])), students, "s" * (students != 1)))
    pending = data.waiting[data.waiting["what"] == "manual marking pending"]
    if len(pending):
        answers = int(pending["answers"].sum())
        lines.append("<b>%d answer%s</b> wait%s for manual marking in formgrader (section 6)."
                     % (answers, "s" * (answers != 1), "s" * (answers == 1)))
    n = len(data.at_risk)
    lines.append("%s at risk (section 5)." % ("No student is" if n == 0 else
                                            "<b>%d student%s</b> %s" % (n, "s" * (n != 1), "are" if n != 1 else "is")))
    return "<ul>%s</ul>" % "".join("<li>%s</li>" % line for line in lines)


def _waiting_section(data):
    """Section 6: answers to mark by hand, submissions to grade, identity flags."""
    parts = []
    if len(data.waiting):
        parts.append("<p>Grades that are not final yet: an export leaves them empty until this is done.</p>")
        parts.append(_table(data.waiting.rename(columns={
            "assignment": "Assignment", "what": "What", "students": "Students", "answers": "Answers to mark",
            "items": "Items", "where": "Where"})))
    else:
        parts.append("<p>Nothing waits for you: every collected submission is graded, every answer marked.</p>")
    if len(data.flags):
        parts.append("<p>Identity flags: look at these submissions before you publish their grades.</p>")
        parts.append(_table(data.flags.rename(columns={"student_id": "Student", "assignment": "Assignment",
                                                       "flag": "Flag"}), row_class="risk"))
    return "\n".join(parts)


def _student_cell(row):
    """'score / marks' for a final grade (with its status or late penalty), else the state."""
    if row.state not in FINAL_STATES:
        return row.state
    notes = [] if row.status == "graded" else [STATUS_WORDS.get(row.status, row.status)]
    if row.state == "late":
        notes.append("late: %s off, %s" % (_num(row.late_submission_penalty), row.late_policy))
    return "%s / %s%s" % (_num(row.score), _num(row.max_score), " (%s)" % "; ".join(notes) if notes else "")


def _student_table(grades):
    """Wide table: one row per student, one 'score / marks (status)' or state column per
    assignment, and the mean over the due assignments."""
    cells = grades.assign(cell=[_student_cell(r) for r in grades.itertuples(index=False)])
    wide = cells.pivot(index="student_id", columns="assignment", values="cell")
    wide = wide.reindex(columns=list(dict.fromkeys(grades["assignment"])))
    first = cells.groupby("student_id").first()
    due = cells[cells["assignment_due"].astype(bool)]
    wide.insert(0, "Mean", due.groupby("student_id")["counted"].mean().reindex(wide.index).map(_pct))
    wide.insert(0, "Name", [_full_name(r.first_name, r.last_name) for r in first.loc[wide.index].itertuples()])
    return wide.reset_index().rename(columns={"student_id": "Student"})


def _full_name(first, last):
    return " ".join(export._text(v) for v in (first, last) if export._text(v))


def _distribution_figure(grades):
    names = list(dict.fromkeys(grades["assignment"]))
    fig = Figure(figsize=(min(4.0 * len(names), 12.0), 3.0), layout="constrained")
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    bins = np.linspace(0, 100, 11)
    for ax, name in zip(axes, names):
        own = grades[grades["assignment"] == name]
        ax.hist(own["percent"].dropna().clip(0, 100), bins=bins, color="#4477aa", edgecolor="white")
        ax.set_title(name)
        ax.set_xlabel("score (% of the marks)")
        ax.set_ylabel("students")
        ax.set_xlim(0, 100)
        ax.yaxis.get_major_locator().set_params(integer=True)
    return fig


def _items_figure(hardest):
    labels = (hardest["assignment"] + " / " + hardest["grade_id"]).tolist()
    fig = Figure(figsize=(8.0, 0.8 + 0.3 * len(labels)), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(labels))
    colours = ["#cc6677" if p < AT_RISK_PERCENT else "#4477aa" for p in hardest["mean_percent"]]
    ax.barh(y, hardest["mean_percent"], color=colours)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("mean score on the item (% of its marks)")
    return fig


def _misconception_figure(mis):
    fig = Figure(figsize=(8.0, 0.8 + 0.35 * len(mis)), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(mis))
    ax.barh(y, mis["students"], color="#ddaa33")
    ax.set_yticks(y, [_readable(k) for k in mis["misconception"]])
    ax.invert_yaxis()
    ax.set_xlabel("students")
    ax.xaxis.get_major_locator().set_params(integer=True)
    return fig


def _img(fig, alt):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return '<img alt="%s" src="data:image/png;base64,%s">' % (_esc(alt), encoded)


def _table(frame, row_class=None, code_spans=False):
    """An HTML table with every header and cell escaped; ``code_spans`` turns
    `backquoted` words (as the explanations write code) into <code> after escaping."""
    head = "".join("<th>%s</th>" % _esc(c) for c in frame.columns)
    body = []
    cls = ' class="%s"' % row_class if row_class else ""
    for row in frame.itertuples(index=False):
        cells = [_esc(_cell(v)) for v in row]
        if code_spans:
            cells = [_CODE_SPAN.sub(r"<code>\1</code>", c) for c in cells]
        body.append("<tr%s>%s</tr>" % (cls, "".join("<td>%s</td>" % c for c in cells)))
    return "<table><thead><tr>%s</tr></thead><tbody>%s</tbody></table>" % (head, "".join(body))


_CODE_SPAN = re.compile(r"`([^`<>&]{1,60})`")


def _readable(key):
    """``flipped_kernel`` -> ``flipped kernel``."""
    return str(key).replace("_", " ")


def _cell(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float):
        return _num(value)
    return str(value)


def _esc(value):
    return html.escape(str(value), quote=True)


def _percent(score, max_score):
    return (100.0 * score / max_score.where(max_score > 0)).fillna(0.0)


def _pct(value):
    return "" if pd.isna(value) else "%.0f%%" % value


def _num(value):
    return ("%.2f" % value).rstrip("0").rstrip(".")


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { font-size: 1.3em; margin-top: 2em; border-bottom: 2px solid #4477aa; padding-bottom: 0.2em; }
p.meta { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #eef2f8; }
tr:nth-child(even) td { background: #fafafa; }
tr.risk td:first-child { border-left: 4px solid #cc6677; }
img { max-width: 100%; display: block; margin: 1em 0; }
code { background: #f3f3f3; padding: 0 0.2em; border-radius: 3px; }
"""
