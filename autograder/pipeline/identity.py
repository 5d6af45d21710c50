"""Whose numbers a submission is graded on: the ``MY_ID`` it types against the class list.

ps1 gives every student their own numbers (``convgrade_kernel.variants``) from the id
typed as ``MY_ID = "s123456"``; the submission is filed under the id the LMS or
``collect`` gave it (Canvas files her as ``smithalice``), which need not be the one typed.
:func:`typed_id` reads ``MY_ID`` from the submitted notebook without running it, and
:func:`check_identity` compares it with the roster (``convgrade roster``):

``filed``
    the typed id is the filed id: its numbers, as always;
``own``
    the typed id is one of the filed student's own ids in the roster (institutional id,
    LMS id, e-mail or its local part, any case): graded on the numbers of the id typed,
    the ones the student saw, so right answers earn full marks;
``classmate``
    the typed id is another roster student's: graded on the filed student's own numbers
    (copying a classmate's numbers earns nothing by itself) and *flagged*, with the
    score the typed id's numbers would give, so the teacher decides and an honest slip
    is never a silent zero;
``unknown``, ``no_roster``, ``not_typed``
    the typed id is in no roster entry, there is no roster, or no plain ``MY_ID = "..."``
    is there (a hub fills the id in): the filed id's numbers, as before; the run
    summary says how many, once per assignment.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from nbgrader.api import Student
from sqlalchemy import select
from sqlalchemy.orm import Session

from autograder import language
from autograder.pipeline.record import RosterRow
from convgrade_kernel.variants import assignments_with_variants

#: How a typed id was matched, in the order the run summary lists them.
ID_CHECKS = ("filed", "own", "classmate", "unknown", "no_roster", "not_typed")
#: Longest typed id taken as an id (longer text is no id anyone was given).
MAX_TYPED = 128


@dataclass(frozen=True)
class RosterEntry:
    """One student of the class list; any field but one may be empty."""

    filed_id: str = ""
    lms_id: str = ""
    institutional_id: str = ""
    email: str = ""
    name: str = ""

    def ids(self):
        """The ids this student may type, lower-cased: every id, the e-mail and its local part."""
        local = self.email.split("@", 1)[0] if "@" in self.email else ""
        return {i.strip().lower() for i in (self.filed_id, self.lms_id, self.institutional_id, self.email, local)
                if i and i.strip()}

    def label(self):
        """How the teacher knows this student: filed id, else name, else an id."""
        return self.filed_id or self.name or self.institutional_id or self.lms_id or self.email


@dataclass(frozen=True)
class Roster:
    """The class list as plain data (workers receive it); ``lms_ids``: ``{filed id: LMS
    user id}`` from the gradebook, as ``collect`` stored it."""

    entries: tuple = ()
    lms_ids: dict = field(default_factory=dict)

    def entry_of(self, student):
        """The roster entry of the student filed as ``student``, or None."""
        lms = self.lms_ids.get(student, "")
        for entry in self.entries:
            if entry.filed_id == student or (entry.lms_id and entry.lms_id in (lms, student)):
                return entry
        return None

    def owners_of(self, typed):
        """The entries that ``typed`` is an id of."""
        key = typed.strip().lower()
        return [entry for entry in self.entries if key in entry.ids()]


@dataclass(frozen=True)
class IdCheck:
    """The outcome of :func:`check_identity` (``check``: one of :data:`ID_CHECKS`)."""

    typed: str | None
    variant_id: str
    check: str
    owner: str = ""  # the classmate whose id was typed


def has_variants(assignment):
    """Whether ``assignment`` gives every student their own numbers."""
    return assignment in assignments_with_variants()


def load_roster(engine):
    """The :class:`Roster` in the gradebook at ``engine`` (SQLAlchemy engine)."""
    with Session(engine) as session:
        rows = session.execute(select(RosterRow).order_by(RosterRow.id)).scalars().all()
        entries = tuple(RosterEntry(r.filed_id or "", r.lms_id or "", r.institutional_id or "", r.email or "",
                                    r.name or "") for r in rows)
        lms = {sid: uid for sid, uid in session.execute(select(Student.id, Student.lms_user_id)) if uid}
    return Roster(entries, lms)


def typed_id(notebooks):
    """The id typed as ``MY_ID = "..."`` in ``notebooks`` (nbformat nodes, in order),
    read from the source without running it; the last assignment wins, as it would in
    the kernel. None when there is none, it is not a plain string, or it is no
    printable id of at most :data:`MAX_TYPED` characters."""
    found = None
    for nb in notebooks:
        for cell in nb.cells:
            if cell.cell_type != "code" or "MY_ID" not in cell.source:
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "MY_ID"
                                                        for t in node.targets):
                    value = node.value
                    found = value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None
    if found is None or not found.strip() or len(found) > MAX_TYPED or not found.isprintable():
        return None
    return found.strip()


def check_identity(student, typed, roster):
    """Whose numbers ``student``'s submission is graded on (:class:`IdCheck`).

    ``typed``: :func:`typed_id`'s answer; ``roster``: a :class:`Roster` or None.
    """
    if typed is None:
        return IdCheck(None, student, "not_typed")
    if typed == student:
        return IdCheck(typed, student, "filed")
    if roster is None or not roster.entries:
        return IdCheck(typed, student, "no_roster")
    mine = roster.entry_of(student)
    if mine is not None and typed.lower() in mine.ids():
        return IdCheck(typed, typed, "own")
    others = [entry for entry in roster.owners_of(typed) if entry != mine]
    if others:
        return IdCheck(typed, student, "classmate", others[0].label())
    return IdCheck(typed, student, "unknown")


def flag_line(student, id_check):
    """The teacher's line about a ``classmate`` check (empty for the others)."""
    if id_check.check != "classmate":
        return ""
    return ("typed MY_ID %r, the id of %s in the roster; graded on %s's own numbers"
            % (id_check.typed, id_check.owner, student))


def id_note(student, identity, lang):
    """What the student reads under the ``MY_ID`` cell about whose numbers were graded
    (empty when the typed id was the filed one or none was typed)."""
    if identity.check == "own":
        return language.phrase("id_own", lang) % identity.variant_id
    if identity.check == "classmate":
        return language.phrase("id_classmate", lang) % (identity.typed, student)
    if identity.check in ("unknown", "no_roster"):
        return language.phrase("id_unknown", lang) % (identity.typed, student)
    return ""
