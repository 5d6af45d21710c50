"""Per-student variants: the numbers a student works with by hand.

A variant is a pure function of ``(assignment, student id)``: the notebook shows it
(in the student's kernel) and the grader regenerates it (in its own process) from the
id the submission is filed under, so neighbours get different numbers and nobody's
claim about their own id is trusted. Variants hold questions, never answers: answers
are computed from them by ``reference`` on the grader's side.

Assignments that are translations of each other share one generator (``ps1_nl``
uses ``ps1``'s), so a student gets the same numbers in either language.
"""
from __future__ import annotations

import hashlib

import numpy as np

_GENERATORS = {}
_ALIASES = {}


def variant_generator(assignment, *aliases):
    """Register ``func(rng) -> dict`` as the variant generator of ``assignment``."""

    def register(func):
        _GENERATORS[assignment] = func
        for alias in aliases:
            _ALIASES[alias] = assignment
        return func

    return register


def seed_for(assignment, student):
    """A 64-bit seed from ``sha256("<assignment>/<student>")``; stable across machines."""
    canonical = _ALIASES.get(assignment, assignment)
    digest = hashlib.sha256(("%s/%s" % (canonical, student)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little")


def variant(assignment, student):
    """Return the variant (a dict of plain numbers and NumPy arrays) of ``student``.

    Raises
    ------
    ValueError
        ``student`` is empty (type your id in the notebook's id cell), or the
        assignment has no variants.
    """
    if not isinstance(student, str) or not student.strip():
        raise ValueError(
            "variant: student id is empty; type your student id in the cell that asks for it "
            "(on JupyterHub it is filled in for you)")
    canonical = _ALIASES.get(assignment, assignment)
    if canonical not in _GENERATORS:
        raise ValueError("variant: assignment %r has no per-student variants (known: %s)"
                         % (assignment, ", ".join(sorted(_GENERATORS)) or "none"))
    rng = np.random.default_rng(seed_for(assignment, student.strip()))
    return _GENERATORS[canonical](rng)


def assignments_with_variants():
    """Names (including aliases) that :func:`variant` accepts."""
    return sorted(set(_GENERATORS) | set(_ALIASES))


# Generators register themselves on import; one module per assignment.
from convgrade_kernel import variants_ps1  # noqa: E402,F401  (ps1, ps1_nl)
from convgrade_kernel import variants_ps5  # noqa: E402,F401  (ps5, ps5_nl)
from convgrade_kernel import item_bank  # noqa: E402,F401  (quiz, quiz_nl: the item bank)
