"""The checks that a measurement did the work."""
import numpy as np

from webdlbench.checks import OUTPUT_ATOL, check_outputs, check_training


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
