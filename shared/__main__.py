"""``python -m shared``: see ``shared.shell.cli``."""

import sys

from shared.shell.cli import main

sys.exit(main())
