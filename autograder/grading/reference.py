"""The reference solutions, imported from the source notebooks' solution cells.

The solutions have one home: the solution regions of
``notebooks/source/nst/``. This module does not copy them; it imports the
definitions from those notebooks (with the same loader learners use for their
own earlier work), so editing a solution there changes the reference here.
"""

from __future__ import annotations

from nst_utils import config
from nst_utils.notebook_import import import_functions

__all__ = [
    "compute_content_cost",
    "gram_matrix",
    "compute_layer_style_cost",
    "compute_style_cost",
    "total_cost",
    "train_step",
    "load",
]


def load(source_dir=None) -> dict:
    """All reference functions, freshly imported from the source notebooks."""
    folder = source_dir or config.SOURCE_DIR
    functions = {
        name: import_functions(folder / notebook, name)
        for name, (notebook, _points) in config.GRADED_FUNCTIONS.items()
    }
    return functions


_functions = load()
compute_content_cost = _functions["compute_content_cost"]
gram_matrix = _functions["gram_matrix"]
compute_layer_style_cost = _functions["compute_layer_style_cost"]
compute_style_cost = _functions["compute_style_cost"]
total_cost = _functions["total_cost"]
train_step = _functions["train_step"]
