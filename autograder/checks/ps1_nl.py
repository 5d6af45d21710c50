"""Checks of ps1_nl, the Dutch ps1: registered, with Dutch messages, by ``autograder.checks.ps1``.

:func:`autograder.checks.get` imports the module named after a check id's assignment;
this one only makes ``ps1_nl.*`` ids find the shared module.
"""
from autograder.checks.ps1 import answer_key  # noqa: F401  (registers ps1.* and ps1_nl.*)
