"""The public checks judge every variant the way a teacher would.

Valid alternatives pass; each mistake fails, and a diagnosable mistake gets
the hint written for it. Nothing here runs a notebook. (The graded judge,
outside the learner's kernel, is tested with the same variants by the
autograder's own tests.)
"""

import numpy as np
import pytest

from autograder.grading import reference
from autograder.variants import CHECK_KEYS, VARIANTS, build, variants
from nst_utils import checks
from nst_utils._tf import tf

PUBLIC = {
    "compute_content_cost": checks.check_content_cost,
    "gram_matrix": checks.check_gram_matrix,
    "compute_layer_style_cost": checks.check_layer_style_cost,
    "compute_style_cost": checks.check_style_cost,
    "total_cost": checks.check_total_cost,
    "train_step": checks.check_train_step,
}


def _function(variant):
    return build(variant, {"gram_matrix": reference.gram_matrix})


def _id(variant):
    return f"{variant.exercise}:{variant.key}"


def test_the_bank_is_rich_enough():
    for exercise in PUBLIC:
        assert len(variants(exercise, valid=True)) >= 3, exercise
        assert len(variants(exercise, valid=False)) >= 4, exercise


@pytest.mark.parametrize("name", list(PUBLIC))
def test_reference_passes_public_checks(name, capsys):
    PUBLIC[name](getattr(reference, name))
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("variant", variants(valid=True), ids=_id)
def test_valid_alternatives_pass(variant, capsys):
    func = _function(variant)
    PUBLIC[variant.exercise](func)
    assert "passed" in capsys.readouterr().out


@pytest.fixture(autouse=True)
def _fresh_hints():
    """Each test meets its mistakes for the first time (the checks remember the last one)."""
    checks.forget_mistakes()
    yield
    checks.forget_mistakes()


def _message(check, func) -> str:
    with pytest.raises(AssertionError) as failed:
        check(func)
    return str(failed.value)


@pytest.mark.parametrize("variant", variants(valid=False), ids=_id)
def test_mistakes_fail_named_first_and_with_the_fix_when_they_come_back(variant):
    func = _function(variant)
    first = _message(PUBLIC[variant.exercise], func)
    if variant.diagnosable:
        hint = checks.HINTS[CHECK_KEYS[variant.exercise]][variant.key]
        assert hint.what in first and hint.how not in first
        assert str(hint) in _message(PUBLIC[variant.exercise], func)
    else:  # no hint written for it: the message still says whose result is wrong
        assert f"`{variant.exercise}`" in first or "your" in first.lower(), first


def test_gram_shape_message_names_the_mistake_then_the_fix():
    AtA = _function(next(v for v in VARIANTS if v.key == "AtA"))
    first = _message(checks.check_gram_matrix, AtA)
    assert "shape (16, 16); expected (n_C, n_C) = (3, 3): it has one row and one column per position" in first
    assert "A·Aᵀ" not in first
    assert "Did you multiply Aᵀ·A? The Gram matrix is A·Aᵀ" in _message(checks.check_gram_matrix, AtA)


def test_a_function_that_passed_in_between_meets_the_mistake_afresh(capsys):
    AtA = _function(next(v for v in VARIANTS if v.key == "AtA"))
    _message(checks.check_gram_matrix, AtA)
    checks.check_gram_matrix(reference.gram_matrix)
    assert "A·Aᵀ" not in _message(checks.check_gram_matrix, AtA)


def test_stubs_fail_with_not_implemented_message():
    def stub(*args, **kwargs):
        raise NotImplementedError()

    for check in PUBLIC.values():
        with pytest.raises(AssertionError, match="not implemented yet"):
            check(stub)


def test_numpy_results_are_refused_with_a_hint():
    def numpy_cost(a_C, a_G):
        return np.float32(0.04352)

    with pytest.raises(AssertionError, match="NumPy value"):
        checks.check_content_cost(numpy_cost)


def test_layer_style_cost_points_at_a_wrong_gram_matrix():
    """A wrong gram_matrix is named as the cause, with the notebook to fix."""
    correct = next(v for v in VARIANTS if v.exercise == "compute_layer_style_cost" and v.valid)
    wrong_gram = build(next(v for v in VARIANTS if v.key == "AtA"))
    func = build(correct, {"gram_matrix": wrong_gram})
    with pytest.raises(AssertionError, match="relies on your `gram_matrix`"):
        checks.check_layer_style_cost(func)  # the public check points at notebook 02


def test_an_unrecognised_wrong_value_says_what_the_graded_test_demands():
    def thrice_the_mean(a_C, a_G):
        return 3.0 * tf.reduce_mean(tf.square(a_C - a_G))

    with pytest.raises(AssertionError, match="graded test demands a scalar tf.Tensor"):
        checks.check_content_cost(thrice_the_mean)
