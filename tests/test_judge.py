"""The judge outside the kernel grades every variant as the public checks do, and trusts nothing.

The harness (what runs in the learner's kernel) and the judge (what decides,
in the grader's process) are exercised here without nbgrader: fast, and
with the same bank of valid alternatives and mistakes as the public checks.
"""

import io
import zipfile

import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder.grading import cases, reference
from autograder.preprocessors import judge
from autograder.variants import build, variants
from nst_utils import config
from nst_utils._tf import tf
from nst_utils.grading import harness

REFERENCE = reference.load()
HELPERS = {"gram_matrix": REFERENCE["gram_matrix"]}


def _case_set(function: str, digest: str = "a-submission") -> cases.CaseSet:
    notebook = config.exercise(function).notebook
    return cases.prepare(notebook, digest, b"course secret", REFERENCE)[function]


def _verdict(function: str, candidate) -> judge.Verdict:
    case_set = _case_set(function)
    results = harness.run_cases(function, candidate, case_set.inputs, HELPERS)
    return judge.judge(function, case_set.seed, case_set.inputs, case_set.expected, results)


def _id(variant):
    return f"{variant.exercise}:{variant.key}"


@pytest.mark.parametrize("function", [e.function for e in config.EXERCISES])
def test_the_reference_passes_every_graded_case(function):
    verdict = _verdict(function, REFERENCE[function])
    assert verdict.passed, verdict.summary()
    assert len(verdict.cases) >= 2


@pytest.mark.parametrize("variant", variants(valid=True), ids=_id)
def test_valid_alternatives_earn_full_marks(variant):
    verdict = _verdict(variant.exercise, build(variant, HELPERS))
    assert verdict.passed, verdict.summary()


@pytest.mark.parametrize("variant", variants(valid=False), ids=_id)
def test_mistakes_fail_with_a_reason(variant):
    verdict = _verdict(variant.exercise, build(variant, HELPERS))
    assert not verdict.passed
    failed = [case for case in verdict.cases if not case.passed]
    assert failed and all(case.reason for case in failed), verdict.summary()


def test_cases_are_reproducible_per_submission_and_differ_between_submissions():
    first, again = _case_set("gram_matrix", "digest-1"), _case_set("gram_matrix", "digest-1")
    other = _case_set("gram_matrix", "digest-2")
    assert first.seed == again.seed != other.seed
    assert all(np.array_equal(first.inputs[k], again.inputs[k]) for k in first.inputs)
    assert not np.array_equal(first.inputs["c0.A"], other.inputs["c0.A"])


def test_the_kernel_receives_inputs_but_never_answers(tmp_path):
    case_set = _case_set("compute_content_cost")
    cases.write_inputs({"compute_content_cost": case_set}, tmp_path)
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["_grading/inputs/compute_content_cost.npz"]
    with np.load(tmp_path / written[0]) as data:
        assert set(data.files) == set(case_set.inputs)
        assert not any(key.endswith(".value") for key in data.files)


def test_a_kernel_is_staged_the_reference_functions_its_notebook_imports_and_no_more(tmp_path):
    """Notebook 04's kernel gets the references of the cost functions it imports (and the
    gram_matrix they use), as bare code cells; no other solution, no text of the source."""
    from autograder.grading import staging
    from nst_utils.notebook_import import import_functions

    staged = {}
    for notebook in dict.fromkeys(e.notebook for e in config.EXERCISES):
        folder = tmp_path / notebook
        folder.mkdir()
        staging.stage(folder, notebook, config.SOURCE_DIR, {})
        staged[notebook] = {p.name: p.read_text() for p in folder.iterdir()}
        own = [e.function for e in config.EXERCISES if e.notebook == notebook]
        for text in staged[notebook].values():
            assert not any(f"def {function}(" in text for function in own)
            assert "markdown" not in text and "BEGIN SOLUTION" not in text
    assert {n: sorted(files) for n, files in staged.items()} == {
        "01_content_cost.ipynb": [], "02_gram_matrix.ipynb": [],
        "03_style_cost.ipynb": ["02_gram_matrix.ipynb"],
        "04_total_cost_and_art.ipynb": ["01_content_cost.ipynb", "02_gram_matrix.ipynb",
                                        "03_style_cost.ipynb"]}
    folder = tmp_path / "04_total_cost_and_art.ipynb"
    defined = {name for text in staged[folder.name].values()
               for name in ("compute_content_cost", "gram_matrix", "compute_layer_style_cost",
                            "compute_style_cost", "content_features", "total_cost")
               if f"def {name}(" in text}
    assert defined == {"compute_content_cost", "gram_matrix", "compute_layer_style_cost",
                       "compute_style_cost"}
    layer = import_functions(folder / "03_style_cost.ipynb", "compute_layer_style_cost")
    assert _verdict("compute_layer_style_cost", layer).passed


def test_a_class_secret_is_made_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("NST_GRADING_SECRET", raising=False)
    secret = cases.course_secret(tmp_path)
    assert secret == cases.course_secret(tmp_path) and len(secret) >= 32
    assert (tmp_path / cases.SECRET_FILE).stat().st_mode & 0o077 == 0


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def test_results_files_that_are_not_plain_arrays_are_refused():
    assert cases.read_results(_npz(a=np.arange(3.0)))["a"].tolist() == [0.0, 1.0, 2.0]
    pickled = io.BytesIO()
    np.save(pickled, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("c0.value.npy", pickled.getvalue())
    assert cases.read_results(archive.getvalue()) is None
    huge = io.BytesIO()
    header = np.lib.format.header_data_from_array_1_0(np.zeros(1))
    header["shape"] = (10**12,)
    np.lib.format.write_array_header_1_0(huge, header)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w") as zf:
        zf.writestr("c0.value.npy", huge.getvalue())
    assert cases.read_results(bomb.getvalue()) is None
    assert cases.read_results(b"not a zip") is None and cases.read_results(None) is None


def test_forged_or_missing_results_score_nothing():
    case_set = _case_set("total_cost")
    forged = {k.replace("J_content", "value"): v for k, v in case_set.inputs.items()}
    verdict = judge.judge("total_cost", case_set.seed, case_set.inputs, case_set.expected, forged)
    assert not verdict.passed
    missing = judge.judge("total_cost", case_set.seed, case_set.inputs, case_set.expected, None)
    assert not missing.passed and "no result was recorded" in missing.cases[0].reason


def test_a_graded_cell_without_a_verdict_fails_closed():
    cell = new_code_cell("check_total_cost(total_cost)", metadata={"nbgrader": {
        "grade": True, "grade_id": "test_total_cost", "points": 1, "solution": False}})
    cell.outputs = [{"output_type": "stream", "name": "stdout", "text": "all passed\n"}]
    notebook, resources = judge.JudgeGradedCells().preprocess(new_notebook(cells=[cell]), {})
    (output,) = notebook.cells[0].outputs
    assert output["output_type"] == "error" and "not judged" in output["evalue"]


def test_train_step_mistakes_get_a_specific_reason():
    def forgets_to_assign(image, optimizer, compute_cost):
        import tensorflow as tf

        with tf.GradientTape() as tape:
            cost = compute_cost(image)
        tape.gradient(cost, image)
        return cost

    verdict = _verdict("train_step", forgets_to_assign)
    assert "did not change" in verdict.summary()


def test_every_train_step_case_shows_whether_the_step_clips():
    """Whatever the seed, each case pushes pixels out of [0, 1] at the first step, so a step that
    forgets to clip never matches the reference (drawn freely, a few seeds in 1000 let it pass)."""
    forgets_to_clip = build(next(v for v in variants("train_step", valid=False) if v.key == "no_clip"))
    for seed in (101, 654, 1006, 1011, *range(30)):
        inputs = cases.make_inputs("train_step", seed)
        first_steps = harness.run_cases("train_step", forgets_to_clip, inputs)
        for case in harness.case_names(inputs):
            image = first_steps[f"{case}.image0"]
            assert image.min() < -0.01 and image.max() > 1.01, f"seed {seed}, {case}: nothing to clip"


def test_rigged_objects_earn_nothing():
    class Anything(float):
        def __eq__(self, other):
            return True

        def numpy(self):
            return self

    verdict = _verdict("total_cost", lambda J_content, J_style, alpha=10, beta=40: Anything(0.0))
    assert not verdict.passed and "not a TensorFlow tensor" in verdict.summary()


def test_the_layer_style_cost_is_judged_with_the_reference_gram_matrix():
    """A wrong gram_matrix costs points in notebook 02 only, never again in 03."""
    layer = REFERENCE["compute_layer_style_cost"]
    wrong_gram = lambda A: 2.0 * REFERENCE["gram_matrix"](A)  # noqa: E731
    case_set = _case_set("compute_layer_style_cost")
    layer.__globals__["gram_matrix"], saved = wrong_gram, layer.__globals__.get("gram_matrix")
    try:
        results = harness.run_cases("compute_layer_style_cost", layer, case_set.inputs, HELPERS)
    finally:
        layer.__globals__["gram_matrix"] = saved
    verdict = judge.judge("compute_layer_style_cost", case_set.seed, case_set.inputs,
                          case_set.expected, results)
    assert verdict.passed, verdict.summary()


def test_the_style_cost_is_judged_with_the_reference_layer_style_cost():
    """compute_style_cost is judged with the reference's layer style cost, although both are
    written in notebook 03: the kernel gets that cost's values and gradients at each case's
    activations (never its code), and a wrong layer cost of the learner's costs nothing
    here. A sum that prices the layers itself, correctly, passes too; one that prices them
    wrongly does not."""
    style = REFERENCE["compute_style_cost"]
    layer = REFERENCE["compute_layer_style_cost"]
    case_set = _case_set("compute_style_cost")
    staged = [k for k in case_set.inputs if k.split(".", 1)[1][0] in "VD"]
    assert staged and all(case_set.inputs[k].dtype.kind == "f" for k in staged)
    wrong = lambda a_S, a_G: 2.0 * layer(a_S, a_G)  # noqa: E731
    style.__globals__["compute_layer_style_cost"] = wrong
    try:
        results = harness.run_cases("compute_style_cost", style, case_set.inputs, HELPERS)
    finally:
        style.__globals__["compute_layer_style_cost"] = layer
    assert judge.judge("compute_style_cost", case_set.seed, case_set.inputs, case_set.expected,
                       results).passed

    def pricing_itself(style_features, generated_features, style_layers, scale=1.0):
        return tf.add_n([w * scale * layer(style_features[n], generated_features[n])
                         for n, w in style_layers])

    for scale, passes in ((1.0, True), (2.0, False)):
        priced = lambda s, g, layers, scale=scale: pricing_itself(s, g, layers, scale)  # noqa: E731
        results = harness.run_cases("compute_style_cost", priced, case_set.inputs, HELPERS)
        verdict = judge.judge("compute_style_cost", case_set.seed, case_set.inputs,
                              case_set.expected, results)
        assert verdict.passed is passes, verdict.summary()


def test_a_verdict_quotes_no_text_and_no_name_the_learners_code_made():
    """Error messages, exception and class names are the kernel's to choose: the harness
    records a code for each, the judge writes its own words, and a shape is quoted only
    while small, so none of them can carry the reference (or anything) to a learner."""
    secret = "def gram_matrix(A): return tf.matmul(A, A, transpose_b=True)"
    smuggler = type("Leak_" + secret.encode().hex(), (ValueError,), {})
    shaped = type(secret.encode().hex(), (float,), {})

    def raises(A):
        raise smuggler(secret)

    def returns_odd_kind(J_content, J_style, alpha=10, beta=40):
        return shaped(1.0)

    def returns_a_big_empty_shape(A):
        import tensorflow as tf

        return tf.zeros((0, 123456, 7890, 1, 2))

    said = [_verdict("gram_matrix", raises).summary(),
            _verdict("total_cost", returns_odd_kind).summary(),
            _verdict("gram_matrix", returns_a_big_empty_shape).summary()]
    for text in said:
        assert secret not in text and secret.encode().hex() not in text and "Leak_" not in text
        assert "123456" not in text
    assert judge.ERROR_WORDS["ValueError"] in said[0]
    assert "returned a Python float, not a TensorFlow tensor" in said[1]
    assert "a shape with 5 dimensions" in said[2]
    recorded = harness.run_cases("gram_matrix", raises, _case_set("gram_matrix").inputs)
    assert all(value.dtype.kind in "biuf" for value in recorded.values())
    with_text = _npz(**{"c0.value": np.zeros((3, 3)), "c0.error": np.array(secret)})
    assert cases.read_results(with_text) is None  # results hold numbers only
