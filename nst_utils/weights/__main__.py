"""``python -m nst_utils.weights fetch|status`` (see :mod:`nst_utils.weights.cli`)."""

import sys

from nst_utils.weights.cli import main

sys.exit(main())
