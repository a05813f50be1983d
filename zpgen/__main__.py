"""``python -m zpgen`` is the ``zpgen`` command."""

import sys

from zpgen.cli import main

sys.exit(main())
