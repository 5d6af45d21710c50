"""The plain records that pass between the stages of grading (``docs/architecture.md``).

Every record is a frozen dataclass of plain values: a stage that changes a judgement
builds a new record (``dataclasses.replace``), and no record looks anything up. The
words a student or teacher reads are made from them by :mod:`autograder.language`.

- :data:`STATUSES` - a submission's status, from best to worst;
- :data:`STATES` - where a student stands on an assignment (released? due? graded?);
- :class:`Verdict` - what diagnosis found about one answer, as facts;
- :class:`Outcome` - the judgement of one case: a share of its marks and a message;
- :class:`CheckResult` - a whole check: its share and each case's outcome;
- :class:`ItemResult` - one graded cell of a submission;
- :class:`SubmissionResult` - one student's submission of one assignment.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: Submission statuses, from best to worst; a submission takes its worst notebook's.
STATUSES = ("graded", "missing", "corrupt", "timeout", "crashed", "error")
#: Every status but ``graded``: the submission lost marks for a reason other than its answers.
TROUBLE_STATUSES = STATUSES[1:]


#: Where one student stands on one assignment, in the order work moves through them
#: (:func:`autograder.classroom.deadlines.state_of` derives them from the course and gradebook).
STATES = ("not released", "not due", "not handed in", "collected, not graded", "manual marking pending",
          "graded", "late")
#: The states whose score is a grade a teacher can stand behind: the only ones exported.
FINAL_STATES = ("graded", "late")


def worst_status(statuses):
    """The worst of ``statuses`` in :data:`STATUSES` order (``error`` for none)."""
    return max(statuses or ["error"], key=STATUSES.index)


@dataclass(frozen=True)
class Verdict:
    """What diagnosis found about one answer, without a word of any language.

    ``kind`` says which finding it is:

    - ``right``: every entry (or the number) within ``tolerance``;
    - ``not_numbers``: not an array of numbers (``given`` says what it was);
    - ``wrong_shape``: an array of another shape than ``expected_shape``;
    - ``wrong_entries``: the right shape, ``wrong`` of ``total`` entries wrong, the first
      at index ``first_wrong``;
    - ``not_a_number``: a number was expected (``given`` says what came);
    - ``not_finite``: a NaN or infinite number (``value``);
    - ``wrong_number``: another number, too ``direction`` (``"large"`` / ``"small"``).

    ``matches`` are the misconceptions whose answer this one equals; ``misconception``
    is the likely one (the first match, unless a check knows better); ``shape_only``
    says the answer has the shape of the first of them, not its values. ``label``
    names the part of the answer judged (``("row", 2)``, ``("name", "dx")``,
    ``("call", "conv2d", "a random 7x9 image, ...")``); ``notes`` are
    follow-through facts for a wrong answer, each ``(key, *values)`` (``("kernel_unturned",)``,
    ``("integer_dtype", "int64")``); the language layer words both.
    """

    kind: str
    fraction: float
    expected: Any = None
    submitted: Any = None
    expected_shape: tuple = ()
    submitted_shape: tuple = ()
    matches: tuple = ()
    misconception: str | None = None
    shape_only: bool = False
    wrong: int = 0
    total: int = 0
    first_wrong: tuple = ()
    tolerance: tuple = (0.0, 0.0)  # (rtol, atol)
    direction: str = ""
    # ("none",), ("type", name), ("unencodable", description), ("text", the string typed) or
    # ("ragged", row counted from 1, its length, the other rows' length)
    given: tuple = ()
    value: float | None = None
    label: tuple = ()
    notes: tuple = ()


@dataclass(frozen=True)
class Outcome:
    """The judgement of one case: a share of its marks and why, in the check's language.

    ``misconception`` names an entry of the misconception texts when one explains the
    answer; ``expected``/``submitted`` are kept for a feedback figure (feature maps).
    """

    fraction: float
    message: str
    misconception: str | None = None
    expected: Any = None
    submitted: Any = None


@dataclass(frozen=True)
class CheckResult:
    """A whole check: the weighted share of its cases, and each case's outcome.

    ``title``, ``lang`` and ``audience`` are the check's (``"school"``: plain words for
    14-18 year olds; ``"university"``: precise ones); ``labels`` says which case each
    outcome judges (student-safe: the call and its description, or the variable).
    """

    check_id: str
    title: str
    lang: str
    fraction: float
    outcomes: list
    library_calls: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    audience: str = "university"

    @property
    def passed(self):
        return self.fraction >= 1.0 - 1e-12


@dataclass(frozen=True)
class ItemResult:
    """One graded cell of a submission.

    ``score`` is None when the cell waits for the teacher (a written answer);
    ``fraction`` is the share of the checks earned (None for non-check cells).
    """

    notebook: str
    grade_id: str
    check_ids: list
    score: float | None
    max_score: float
    fraction: float | None = None
    misconception: str | None = None
    message: str = ""
    kind: str = "autograded"  # autograded | manual | task


@dataclass(frozen=True)
class SubmissionResult:
    """What grading one student's submission of one assignment produced.

    ``notebooks`` maps a notebook name to its autograded notebook (JSON text) for
    :mod:`autograder.pipeline.record` to write; ``submission_hash`` identifies the
    submitted files (a re-collected submission grades again); ``rng_seed`` reproduces
    the hidden inputs (drawn from the assignment, the student, ``submission_hash`` and
    ``inputs_salt``, which only ``--new-inputs`` changes). For an assignment with
    per-student numbers: ``typed_id`` is the ``MY_ID`` the notebook types (None: none
    readable), ``variant_id`` the id whose numbers were graded, ``id_check`` how the two
    were matched (``autograder.pipeline.identity.ID_CHECKS``) and ``id_flag`` the
    teacher's line when the typed id is another student's (empty otherwise).
    """

    student: str
    assignment: str
    status: str
    score: float
    max_score: float
    items: list = field(default_factory=list)
    detail: str = ""
    protections: list = field(default_factory=list)
    seconds: float = 0.0
    notebooks: dict = field(default_factory=dict)
    timestamp: str | None = None
    submission_hash: str = ""
    rng_seed: int | None = None
    comments: list = field(default_factory=list)  # (notebook, grade_id, nbgrader auto comment or None)
    inputs_salt: str = ""
    typed_id: str | None = None
    variant_id: str | None = None
    id_check: str = ""
    id_flag: str = ""

    def to_dict(self):
        return asdict(self)


__all__ = ["STATUSES", "TROUBLE_STATUSES", "STATES", "FINAL_STATES", "worst_status", "Verdict", "Outcome",
           "CheckResult", "ItemResult", "SubmissionResult"]
