"""Fixtures of the reliability corpus: a ps2 course released once per session (through
the real ``convgrade release``, that is nbgrader's generate_assignment), copied by every
test that grades. Helpers live in ``corpus_checks`` (a conftest is not importable by name
when several test folders have one)."""
from __future__ import annotations

import shutil

import pytest

from corpus_checks import ROOT, convgrade, copy_course


@pytest.fixture(scope="session")
def released_ps2(tmp_path_factory):
    """A course holding ``source/ps2``, released by ``convgrade release ps2`` (gradebook
    included). Read-only for tests: copy it with :func:`copy_course`."""
    root = tmp_path_factory.mktemp("corpus-template") / "course"
    (root / "source").mkdir(parents=True)
    shutil.copytree(ROOT / "source" / "ps2", root / "source" / "ps2")
    convgrade(root, "release", "ps2", check=True, timeout=600)
    return root


@pytest.fixture
def ps2_course(released_ps2, tmp_path):
    """A fresh copy of the released ps2 course for one test."""
    return copy_course(released_ps2, tmp_path / "course")
