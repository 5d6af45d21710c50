"""Fixtures of the reference suite (the shared tests/conftest.py belongs to the whole project)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

# The oracle helpers sit beside the tests; make them importable whatever pytest's import mode.
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture
def rng():
    """A fresh, seeded generator per test, so each failure reproduces on its own."""
    return np.random.default_rng(20240601)
