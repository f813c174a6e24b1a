"""``python -m shared``: see ``shared.cli.main``."""

import sys

from shared.cli.main import main

sys.exit(main())
