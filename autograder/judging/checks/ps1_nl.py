"""Checks of ps1_nl, the Dutch ps1: the items of :mod:`.ps1`, worded in Dutch.

:func:`autograder.judging.registry.get` imports the module named after a check id's
assignment; this one lists ps1's items as ``ps1_nl.*`` checks, and gives ``convgrade key``
the shared :func:`~autograder.judging.checks.ps1.answer_key`.
"""
from autograder.judging.checks.ps1 import answer_key, checks_of  # noqa: F401  (answer_key: `convgrade key`)

#: The checks of ps1_nl (:mod:`autograder.judging.registry` registers them).
CHECKS = checks_of("ps1_nl")
