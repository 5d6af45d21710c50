"""Errors a teacher can cause, each with a one-line message the CLI prints as is.

Everything here derives from :class:`ConvgradeError`; ``convgrade`` catches it at the
top and prints ``convgrade: error: <message>`` with :attr:`ConvgradeError.exit_code`,
never a traceback. Code that is not the CLI raises these with a message that names
the thing at fault and what to do about it.
"""
from __future__ import annotations


class ConvgradeError(Exception):
    """A problem the person running ``convgrade`` can fix; the message is one line."""

    exit_code = 2

    def __str__(self):
        # one line whatever the caller passed: tracebacks and multi-line reprs stay out
        text = super().__str__()
        return " ".join(text.split()) if text else type(self).__name__


class CourseError(ConvgradeError):
    """The course directory is missing, or lacks a folder the command needs."""


class UnknownAssignment(ConvgradeError):
    """No ``source/NAME`` (or no release, or no gradebook entry) for the assignment."""


class UnknownStudent(ConvgradeError):
    """A student named on the command line has no submission or no gradebook entry."""


class GradebookError(ConvgradeError):
    """The gradebook cannot be opened or written (locked, read-only, bad URL)."""


class GradebookBusy(GradebookError):
    """Another ``convgrade`` run holds the course's grading lock."""


class CollectError(ConvgradeError):
    """``convgrade collect`` cannot read what it was pointed at."""


class SetupError(ConvgradeError):
    """Something ``make install`` provides is missing (the students' environment)."""

    exit_code = 1


class CorruptNotebook(ConvgradeError):
    """A submitted notebook cannot be graded as it is: not JSON, not UTF-8, nbformat 3,
    too large, or another assignment's notebook. Grading turns it into status
    ``corrupt``; it reaches the CLI only from commands that read one notebook."""

    exit_code = 1
