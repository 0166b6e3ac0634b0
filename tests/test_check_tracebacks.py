"""What a learner sees when a public check fails in IPython (as in Jupyter).

Only the line of their own cell and the message, not the course's internals;
and, when their own function raised, that error's traceback down to their line.
"""

import re

import pytest
from IPython.core.interactiveshell import InteractiveShell

from nst_utils import checks


@pytest.fixture
def shell():
    checks.forget_mistakes()
    ipython = InteractiveShell.instance(colors="nocolor")
    ipython.run_cell("from nst_utils import tf\nfrom nst_utils.checks import check_gram_matrix")
    yield ipython
    InteractiveShell.clear_instance()
    checks.forget_mistakes()


def _shown(shell, capsys, source: str) -> str:
    capsys.readouterr()
    result = shell.run_cell(source)
    assert isinstance(result.error_in_exec, AssertionError)
    return re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)


def test_a_wrong_value_shows_only_the_learners_line_and_the_message(shell, capsys):
    shell.run_cell("def gram_matrix(A):\n    return tf.matmul(A, A, transpose_a=True)")
    shown = _shown(shell, capsys, "check_gram_matrix(gram_matrix)")
    assert "----> 1 check_gram_matrix(gram_matrix)" in shown
    assert "checks.py" not in shown and "harness.py" not in shown and "hidden" not in shown
    assert shown.strip().splitlines()[-1].startswith("AssertionError: your Gram matrix has shape (16, 16)")


def test_an_error_in_the_learners_function_points_at_their_line(shell, capsys):
    shell.run_cell("def gram_matrix(A):\n    width = A.shape[1]\n    return tf.matmul(A, A)")
    shown = _shown(shell, capsys, "check_gram_matrix(gram_matrix)")
    assert re.search(r"----> 3\s+return tf\.matmul\(A, A\)", shown)
    assert "InvalidArgumentError" in shown
    assert "checks.py" not in shown and "harness.py" not in shown
    assert "AssertionError: `gram_matrix` raised InvalidArgumentError" in shown
