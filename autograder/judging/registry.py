"""Which check a hidden test cell's id names: ``get("ps2.conv2d")``.

The checks of an assignment live in ``autograder/judging/checks/<assignment>.py``, which
lists them in ``CHECKS`` (and may name in ``LIBRARIES_NEEDED`` the banned packages its
notebooks still need, see :mod:`autograder.isolation.library_absence`). :func:`get`
imports that module on the first use of one of its ids and registers its ``CHECKS``;
the checks modules never import this one, so the two cannot form an import loop.
"""
from __future__ import annotations

import importlib

CHECKS_PACKAGE = "autograder.judging.checks"

_REGISTRY: dict = {}


def register(check_class):
    """Instantiate and register a :class:`~autograder.judging.contract.Check` by its ``id``
    (a checks module's ``CHECKS`` are registered so; a test may register its own)."""
    instance = check_class()
    if not instance.id or "." not in instance.id:
        raise ValueError("register: check id %r must look like '<assignment>.<item>'" % instance.id)
    _REGISTRY[instance.id] = instance
    return check_class


def checks_module(assignment):
    """The checks module of ``assignment``; ModuleNotFoundError when it has none."""
    # by name: the assignment comes from a check id or the command line
    return importlib.import_module("%s.%s" % (CHECKS_PACKAGE, assignment))


def get(check_id):
    """Return the registered check ``check_id``, importing its assignment's module."""
    if check_id not in _REGISTRY:
        assignment = check_id.split(".", 1)[0]
        try:
            module = checks_module(assignment)
        except ModuleNotFoundError as exc:
            raise KeyError("no checks for assignment %r (looked for %s.%s)"
                           % (assignment, CHECKS_PACKAGE, assignment)) from exc
        for check_class in getattr(module, "CHECKS", ()):
            if check_class.id not in _REGISTRY:
                register(check_class)
    try:
        return _REGISTRY[check_id]
    except KeyError:
        known = ", ".join(sorted(k for k in _REGISTRY if k.startswith(check_id.split(".")[0])))
        raise KeyError("unknown check %r (known: %s)" % (check_id, known)) from None


def libraries_needed(check_ids):
    """Banned packages the assignments of ``check_ids`` still need in the sandbox: the
    union of their checks modules' ``LIBRARIES_NEEDED`` (see
    :mod:`autograder.isolation.library_absence`)."""
    needed = set()
    for assignment in sorted({check_id.split(".", 1)[0] for check_id in check_ids}):
        needed.update(getattr(checks_module(assignment), "LIBRARIES_NEEDED", ()))
    return sorted(needed)


def any_forbids_library(check_ids):
    """Whether one of ``check_ids`` is a "write it yourself" item."""
    return any(get(check_id).forbid_library for check_id in check_ids)
