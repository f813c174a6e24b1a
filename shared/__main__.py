"""``python -m shared``: see ``shared.cli``."""

import sys

from shared.cli import main

sys.exit(main())
