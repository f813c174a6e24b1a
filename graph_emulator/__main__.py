"""Entry point for ``python -m graph_emulator``."""

import sys

from graph_emulator.cli import main

sys.exit(main())
