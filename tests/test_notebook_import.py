"""Later notebooks use the learner's own functions from earlier ones, cheaply and safely."""

import json
import sys
import types

import pytest

from nst_utils.errors import NotImplementedYet, NSTError
from nst_utils.notebook_import import import_functions, is_stub


def write_notebook(path, *cells, test_cells=()):
    def cell(source, grade=False):
        meta = {"nbgrader": {"grade": True, "solution": False, "grade_id": "t"}} if grade else {}
        return {"cell_type": "code", "metadata": meta, "source": source, "outputs": [],
                "execution_count": None}

    notebook = {
        "cells": [cell(c) for c in cells] + [cell(c, grade=True) for c in test_cells],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


def test_only_definitions_run(tmp_path):
    marker = tmp_path / "expensive-cell-ran"
    write_notebook(
        tmp_path / "a.ipynb",
        "%matplotlib inline\nimport math\nSCALE = 2 * math.pi\nnot_a_value = open_something()",
        f"open({str(marker)!r}, 'w').write('x')",
        "def double(x):\n    return SCALE * x",
        test_cells=["raise RuntimeError('check cells are never run')"],
    )
    double = import_functions(tmp_path / "a.ipynb", "double")
    assert double(1) == pytest.approx(2 * 3.141592653589793)
    assert not marker.exists()


def test_stub_is_returned_and_explains_what_to_finish(tmp_path, capsys):
    write_notebook(tmp_path / "02_gram_matrix.ipynb",
                   "def gram_matrix(A):\n    # YOUR CODE HERE\n    raise NotImplementedError()")
    gram = import_functions(tmp_path / "02_gram_matrix.ipynb", "gram_matrix")
    assert is_stub(gram)
    assert "still a stub" in capsys.readouterr().out
    with pytest.raises(NotImplementedYet, match="Complete that exercise in 02_gram_matrix.ipynb"):
        gram(None)


def test_chained_imports_resolve_next_to_each_notebook_and_stay_fresh(tmp_path, monkeypatch):
    folder = tmp_path / "course"
    folder.mkdir()
    write_notebook(folder / "02.ipynb", "def gram(a):\n    return a * 2")
    write_notebook(folder / "03.ipynb",
                   "from nst_utils.notebook_import import import_functions\n"
                   "gram = import_functions('02.ipynb', 'gram')\n"
                   "def cost(a):\n    return gram(a) + 1")
    monkeypatch.chdir(tmp_path)  # not the notebooks' folder
    assert import_functions(folder / "03.ipynb", "cost")(5) == 11
    write_notebook(folder / "02.ipynb", "def gram(a):\n    return a * 3")  # the learner fixes 02
    assert import_functions(folder / "03.ipynb", "cost")(5) == 16


def test_source_is_visible_to_inspect(tmp_path):
    import inspect

    write_notebook(tmp_path / "n.ipynb", "def f(x):\n    return x + 1")
    assert "return x + 1" in inspect.getsource(import_functions(tmp_path / "n.ipynb", "f"))


@pytest.mark.parametrize("cells, name, message", [
    (["def f(:\n    pass"], "f", r"code cell 1 has a syntax error"),
    (["def g():\n    return 1"], "f", r"defines no function `f`"),
])
def test_problems_are_explained(tmp_path, cells, name, message):
    write_notebook(tmp_path / "n.ipynb", *cells)
    with pytest.raises(NSTError, match=message):
        import_functions(tmp_path / "n.ipynb", name)


def test_missing_or_broken_notebook(tmp_path):
    with pytest.raises(NSTError, match="does not exist"):
        import_functions(tmp_path / "nope.ipynb", "f")
    (tmp_path / "broken.ipynb").write_text("{not json", encoding="utf-8")
    with pytest.raises(NSTError, match="not a readable notebook"):
        import_functions(tmp_path / "broken.ipynb", "f")


def test_on_colab_a_missing_earlier_notebook_says_how_to_bring_it(tmp_path, monkeypatch):
    """Each Colab notebook runs on a machine of its own: the message says how to upload the
    earlier notebook there, and where to put it."""
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    with pytest.raises(NSTError) as raised:
        import_functions(tmp_path / "02_gram_matrix.ipynb", "gram_matrix")
    message = str(raised.value)
    assert "does not exist" in message and "02_gram_matrix.ipynb" in message
    assert "Upload" in message and f"into {tmp_path}" in message
