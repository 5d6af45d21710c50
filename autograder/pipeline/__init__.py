"""Grading one submission, in the five stages of ``docs/architecture.md``:
:mod:`.rebuild` -> :mod:`.plan` -> :mod:`.execute` -> :mod:`.score` -> :mod:`.record`,
with :mod:`.feedback` (the test cells' outputs) between score and record.
:mod:`.grade` runs the stages for one submission; :mod:`.parallel` runs many."""
