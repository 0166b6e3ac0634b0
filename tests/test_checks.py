"""The public checks and the hidden tests judge every variant the way a teacher would.

Valid alternatives pass both; each mistake fails both, and a diagnosable
mistake gets the hint written for it. Nothing here runs a notebook.
"""

import numpy as np
import pytest

from autograder import hidden, reference
from autograder.variants import CHECK_KEYS, VARIANTS, build, variants
from nst_utils import checks
from nst_utils._tf import tf

PUBLIC = {
    "compute_content_cost": checks.check_content_cost,
    "gram_matrix": checks.check_gram_matrix,
    "compute_layer_style_cost": checks.check_layer_style_cost,
    "total_cost": checks.check_total_cost,
}
HIDDEN = {
    "compute_content_cost": hidden.grade_content_cost,
    "gram_matrix": hidden.grade_gram_matrix,
    "compute_layer_style_cost": hidden.grade_layer_style_cost,
    "total_cost": hidden.grade_total_cost,
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
def test_reference_passes_public_and_hidden_checks(name, capsys):
    PUBLIC[name](getattr(reference, name))
    HIDDEN[name](getattr(reference, name))
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("variant", variants(valid=True), ids=_id)
def test_valid_alternatives_pass(variant, capsys):
    func = _function(variant)
    PUBLIC[variant.exercise](func)
    HIDDEN[variant.exercise](func)
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("variant", variants(valid=False), ids=_id)
def test_mistakes_fail_with_an_actionable_message(variant):
    func = _function(variant)
    with pytest.raises(AssertionError) as public:
        PUBLIC[variant.exercise](func)
    if variant.diagnosable:
        hint = checks.HINTS[CHECK_KEYS[variant.exercise]][variant.key]
        assert hint in str(public.value)
    with pytest.raises(AssertionError):
        HIDDEN[variant.exercise](func)


def test_gram_shape_message_names_the_mistake():
    AtA = next(v for v in VARIANTS if v.key == "AtA")
    with pytest.raises(AssertionError, match=r"shape \(16, 16\); expected \(n_C, n_C\) = \(3, 3\): did you multiply Aᵀ·A\?"):
        checks.check_gram_matrix(_function(AtA))


def test_stubs_fail_with_not_implemented_message():
    def stub(*args, **kwargs):
        raise NotImplementedError()

    for name, check in PUBLIC.items():
        with pytest.raises(AssertionError, match="not implemented yet"):
            check(stub)
        with pytest.raises(AssertionError, match="not implemented"):
            HIDDEN[name](stub)


def test_numpy_results_are_refused_with_a_hint():
    def numpy_cost(a_C, a_G):
        return np.float32(0.04352)

    with pytest.raises(AssertionError, match="NumPy value"):
        checks.check_content_cost(numpy_cost)


def test_rigged_objects_earn_nothing_in_hidden_tests():
    class Liar(float):
        def __eq__(self, other):
            return True

        def __float__(self):
            return 0.0

    class LiarTensor:
        shape = ()
        dtype = tf.float32

        def __eq__(self, other):
            return True

        def numpy(self):
            return reference_value

    reference_value = None
    for impostor in (lambda *a, **k: Liar(1.0), lambda *a, **k: LiarTensor()):
        for grade in HIDDEN.values():
            with pytest.raises(AssertionError):
                grade(impostor)


def test_layer_style_cost_is_graded_with_the_reference_gram_matrix():
    """A wrong gram_matrix must not cost points in the layer-style-cost exercise."""
    correct = next(v for v in VARIANTS if v.exercise == "compute_layer_style_cost" and v.valid)
    wrong_gram = build(next(v for v in VARIANTS if v.key == "AtA"))
    func = build(correct, {"gram_matrix": wrong_gram})
    hidden.grade_layer_style_cost(func)  # passes: the reference gram is swapped in
    assert func.__globals__["gram_matrix"] is wrong_gram  # and the student's is put back
    with pytest.raises(AssertionError, match="relies on your `gram_matrix`"):
        checks.check_layer_style_cost(func)  # the public check points at notebook 02


def test_hidden_tests_cover_rectangles_channels_and_both_float_types():
    shapes = hidden.ACTIVATION_SHAPES
    assert any(s[1] != s[2] for s in shapes)
    assert len({s[3] for s in shapes}) >= 3
    assert set(hidden.DTYPES) == {np.float32, np.float64}
