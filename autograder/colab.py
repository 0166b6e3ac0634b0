"""The Colab cell: the release puts it first among the code cells of every student notebook.

On Google Colab (a kernel that has imported ``google.colab``) it installs the
student package from ``config.COLAB_INSTALL``; anywhere else, and always while
nbgrader grades (``NBGRADER_EXECUTION`` set), it does nothing and prints
nothing. pip keeps what Colab already has (numpy, Keras, TensorFlow) when it
fits the package's ranges. The cell carries no nbgrader metadata and a fixed
id, so releasing and grading treat it like any ordinary cell.
"""

from __future__ import annotations

from nst_utils import cells, config

CELL_ID = "colab-install"

SOURCE = """\
# On Google Colab this cell installs the course's package; anywhere else it does nothing.
import os, sys
if "google.colab" in sys.modules and not os.environ.get("NBGRADER_EXECUTION"):
    import importlib, subprocess
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", {requirement!r}], check=True)
    importlib.invalidate_caches()"""


def cell() -> dict:
    """The cell, for the install location set in ``config.COLAB_INSTALL``."""
    new = {"cell_type": "code", "execution_count": None, "id": CELL_ID, "metadata": {},
           "outputs": []}
    cells.set_source(new, SOURCE.format(requirement=config.COLAB_INSTALL))
    return new


def add_to(notebook: dict) -> None:
    """Put the cell before the first code cell of ``notebook`` (replacing an older one)."""
    notebook["cells"] = [c for c in notebook["cells"] if c.get("id") != CELL_ID]
    first_code = next((i for i, c in enumerate(notebook["cells"]) if c["cell_type"] == "code"),
                      len(notebook["cells"]))
    notebook["cells"].insert(first_code, cell())


def present(notebook: dict) -> bool:
    """True when ``notebook``'s first code cell is the current Colab cell."""
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    return bool(code) and code[0].get("id") == CELL_ID and cells.source(code[0]) == cells.source(cell())
