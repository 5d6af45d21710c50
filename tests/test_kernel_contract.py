"""The contract between a student's kernel and the grader: codec, probe, records, variants."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder.judging import registry
from autograder.judging.contract import Case, Check
from autograder.language import check_message
from autograder.pipeline.in_process import run_in_process
from autograder.pipeline.plan import build_plan
from autograder.pipeline.score import read_records, score_check
from autograder.records import Outcome
from convgrade_kernel import codec, probe, variants

ROOT = Path(__file__).resolve().parents[1]


class AlwaysEqual:
    def __eq__(self, other):
        return True


class HostileInt(int):
    def __int__(self):
        raise RuntimeError("no")


class FakeArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), bool)


@pytest.mark.parametrize("value", [
    None, True, 3, -2.5, "text", [1, 2.0, [3]], (1, 2), {"a": [1, 2]},
    np.arange(6, dtype=np.float32).reshape(2, 3), np.float64(1.5), np.int64(7), np.array([True, False]),
])
def test_plain_values_round_trip(value):
    decoded = codec.decode(json.loads(json.dumps(codec.encode(value))))
    if isinstance(value, np.ndarray):
        assert decoded.dtype == value.dtype and decoded.shape == value.shape
        np.testing.assert_array_equal(decoded, value)
    else:
        assert decoded == value and type(decoded) is type(value.item() if isinstance(value, np.generic) else value)


def test_nan_and_inf_survive():
    arr = np.array([np.nan, np.inf, -np.inf])
    out = codec.decode(json.loads(json.dumps(codec.encode(arr))))
    np.testing.assert_array_equal(out, arr)


@pytest.mark.parametrize("value", [AlwaysEqual(), np.array([AlwaysEqual()]), np.array([1 + 2j]),
                                   (i for i in range(3)), object()])
def test_objects_that_are_not_data_equal_nothing(value):
    decoded = codec.decode(json.loads(json.dumps(codec.encode(value))))
    assert isinstance(decoded, codec.UnencodableValue)
    assert not (decoded == decoded) and not (decoded == 0)


def test_ndarray_subclass_loses_its_overrides():
    fake = np.zeros(3).view(FakeArray)
    decoded = codec.decode(codec.encode(fake))
    assert type(decoded) is np.ndarray
    assert not np.array_equal(decoded, np.ones(3))


def test_hostile_int_is_unencodable_not_a_crash():
    assert isinstance(codec.decode(codec.encode(HostileInt(3))), codec.UnencodableValue)


def test_oversized_array_is_refused():
    big = np.zeros(codec.MAX_ELEMENTS + 1, dtype=np.uint8)
    assert "__unencodable__" in codec.encode(big)


def test_student_id_precedence(monkeypatch):
    monkeypatch.delenv("CONVGRADE_STUDENT", raising=False)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    assert probe.student_id(" typed ") == "typed"
    monkeypatch.setenv("JUPYTERHUB_USER", "hubuser")
    assert probe.student_id("typed") == "hubuser"
    monkeypatch.setenv("CONVGRADE_STUDENT", "filed")
    assert probe.student_id("typed") == "filed"


class _Double(Check):
    id = "contract.double"
    title = "double(x)"
    forbid_library = True

    def cases(self, rng, student):
        return [Case(call="double", args=(rng.normal(size=4),), describe="a random vector")
                for _ in range(3)]

    def compare(self, case, submitted):
        expected = 2 * case.args[0]
        ok = isinstance(submitted, np.ndarray) and submitted.shape == expected.shape \
            and np.allclose(submitted, expected)
        return Outcome(1.0 if ok else 0.0, "values differ from 2*x")


registry.register(_Double)


def _collect(tmp_path, namespace, monkeypatch, pre_existing=""):
    plan, cases = build_plan(["contract.double"], "s1", np.random.default_rng(1))
    plan_path, results = tmp_path / "plan.json", tmp_path / "results.jsonl"
    plan_path.write_text(json.dumps(plan))
    results.write_text(pre_existing)
    monkeypatch.setenv("CONVGRADE_PLAN", str(plan_path))
    monkeypatch.setenv("CONVGRADE_RESULTS", str(results))
    assert probe.check("contract.double", namespace) is None  # collect mode never raises
    records = read_records(results)
    return score_check("contract.double", cases["contract.double"], records.get("contract.double", {}))


def test_collect_mode_scores_correct_and_wrong(tmp_path, monkeypatch):
    assert _collect(tmp_path, {"double": lambda x: x + x}, monkeypatch).fraction == 1.0
    assert _collect(tmp_path, {"double": lambda x: AlwaysEqual()}, monkeypatch).fraction == 0.0


def test_plan_carries_inputs_but_no_expected_values():
    plan, cases = build_plan(["contract.double"], "s1", np.random.default_rng(1))
    text = json.dumps(plan)
    assert "expected" not in text and "context" not in text
    assert len(plan["checks"]["contract.double"]["cases"]) == 3


def test_errors_and_missing_names_earn_zero_with_a_reason(tmp_path, monkeypatch):
    def boom(x):
        raise SystemExit("bye")
    result = _collect(tmp_path, {"double": boom}, monkeypatch)
    assert result.fraction == 0.0 and "SystemExit" in check_message(result)
    result = _collect(tmp_path, {}, monkeypatch)
    assert result.fraction == 0.0 and "NameError" in check_message(result)


def test_records_written_by_the_student_before_the_check_do_not_win(tmp_path, monkeypatch):
    forged = "".join(json.dumps({"check": "contract.double", "case": i, "ok": True,
                                 "value": codec.encode(np.zeros(4))}) + "\n" for i in range(3))
    result = _collect(tmp_path, {"double": lambda x: 2 * x}, monkeypatch, pre_existing=forged + "not json\n")
    assert result.fraction == 1.0


def test_library_convolution_is_caught_at_run_time(tmp_path, monkeypatch):
    result = _collect(tmp_path, {"double": lambda x: np.convolve(x, [2.0])}, monkeypatch)
    assert result.fraction == 0.0 and result.library_calls == ["numpy.convolve"]
    assert np.convolve is not None and np.convolve.__module__.startswith("numpy")  # restored


def test_in_process_mode_raises_with_the_message():
    with pytest.raises(AssertionError, match="0 of 3 cases right"):
        run_in_process("contract.double", {"double": lambda x: 3 * x})
    assert run_in_process("contract.double", {"double": lambda x: 2 * x}).passed


def test_variants_are_seeded_by_assignment_and_student():
    assert variants.seed_for("ps1", "alice") == variants.seed_for("ps1", "alice")
    assert variants.seed_for("ps1", "alice") != variants.seed_for("ps1", "bob")
    with pytest.raises(ValueError, match="student id is empty"):
        variants.variant("ps1", " ")
    with pytest.raises(ValueError, match="no per-student variants"):
        variants.variant("no-such-assignment", "alice")


def test_student_environment_has_no_answers():
    """The kernel environment must not be able to import the reference or the grader."""
    python = ROOT / ".venv-student" / "bin" / "python"
    code = ("import importlib.util as u, convgrade_kernel; "
            "print(u.find_spec('reference') is None, u.find_spec('autograder') is None)")
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, cwd="/",
                         env={"PATH": os.environ.get("PATH", "")}, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True"]


_ALIAS = getattr(np, "con" + "volve")  # bound before any check runs, as a student could


def test_library_convolution_is_caught_through_an_alias_bound_earlier(tmp_path, monkeypatch):
    result = _collect(tmp_path, {"double": lambda x: _ALIAS(x, [2.0])}, monkeypatch)
    assert result.fraction == 0.0 and result.library_calls == ["numpy.convolve"]


def test_library_convolution_in_scipy_is_caught_by_its_code(tmp_path, monkeypatch):
    import scipy.signal

    hidden = getattr(scipy.signal, "cor" + "relate")
    result = _collect(tmp_path, {"double": lambda x: hidden(x, [2.0], mode="same")}, monkeypatch)
    assert result.fraction == 0.0 and "scipy.signal.correlate" in result.library_calls


def test_switching_the_tripwire_off_earns_nothing(tmp_path, monkeypatch):
    def sneaky(x):
        sys.setprofile(None)
        return _ALIAS(x, [2.0])

    result = _collect(tmp_path, {"double": sneaky}, monkeypatch)
    assert result.fraction == 0.0 and "switched off" in check_message(result)
    assert sys.getprofile() is None


def test_the_tripwire_leaves_honest_numpy_alone(tmp_path, monkeypatch):
    def honest(x):
        padded = np.pad(x, 1)
        return np.array([np.sum(padded[i + 1:i + 2] * 2.0) for i in range(len(x))])

    assert _collect(tmp_path, {"double": honest}, monkeypatch).fraction == 1.0
