"""The checks that a measurement did the work."""
import numpy as np
import pytest

from webdlbench.checks import OUTPUT_ATOL, check_kind_outputs, check_outputs, check_training
from webdlbench.models import kinds


def test_training_passes_when_the_loss_falls():
    assert check_training([2.3, 2.1, 1.9, 1.8, 1.7])["passed"]


def test_training_fails_when_the_loss_does_not_fall_or_is_nan():
    assert not check_training([2.3, 2.4, 2.5, 2.6])["passed"]
    assert "not finite" in check_training([2.3, None, 1.0])["reason"]
    assert not check_training([2.3])["passed"]


def test_outputs_match_within_tolerance_and_fail_beyond():
    reference = np.full((3, 10), 0.1)
    assert check_outputs((reference + OUTPUT_ATOL / 2).tolist(), reference)["passed"]
    wrong = reference.copy()
    wrong[1, 4] += 10 * OUTPUT_ATOL
    check = check_outputs(wrong.tolist(), reference)
    assert not check["passed"] and check["max_abs_error"] > OUTPUT_ATOL


def test_nan_outputs_and_missing_outputs_fail():
    reference = np.full((2, 10), 0.1)
    assert not check_outputs([[float("nan")] * 10], reference)["passed"]
    assert not check_outputs([], reference)["passed"]
    assert not check_outputs([[0.1] * 9], reference)["passed"]


def test_converted_kinds_check_outputs_relative_to_their_size():
    lstm = kinds.get("lstm")
    reference = np.array([[1e-3, 0.5, 0.499]])
    ok = check_kind_outputs([[1e-3 * (1 + 5e-4), 0.5 * (1 - 5e-4), 0.499]], reference, lstm)
    assert ok["passed"] and ok["rtol"] == lstm.output_rtol and ok["max_rel_error"] == pytest.approx(5e-4)
    # An absolute error of 1e-5 is nothing on 0.5 but 1% of a 1e-3 output: it fails, and says where.
    bad = check_kind_outputs([[1e-3 + 1e-5, 0.5, 0.499]], reference, lstm)
    assert not bad["passed"] and "0.00101 against 0.001" in bad["reason"]
    wrong_shape = check_kind_outputs([[0.5, 0.5]], reference, lstm)
    assert not wrong_shape["passed"] and "shape" in wrong_shape["reason"]
    # The MLP keeps checks.py's absolute rule against numpy.
    mlp = check_kind_outputs([[0.1, 0.9]], np.array([[0.1 + 5e-5, 0.9]]), kinds.get("mlp"))
    assert mlp["passed"] and mlp["atol"] == 1e-4 and "rtol" not in mlp
