"""The grader's half that runs inside a grading sandbox, beside a learner's kernel.

It decides nothing and holds nothing secret, so it may ship with what learners
import: :mod:`~nst_utils.grading.exercises` (the graded exercises: how their
cases are drawn, how a function is called on one, what each is called),
:mod:`~nst_utils.grading.harness` (runs a learner's function on the grader's
inputs and records plain numbers), :mod:`~nst_utils.grading.kernel_factory`
and :mod:`~nst_utils.grading.preloaded_kernel` (the processes a grading
sandbox runs) and :mod:`~nst_utils.grading.paths` (where things are in one).
"""
