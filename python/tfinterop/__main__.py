"""`python -m tfinterop` entry point."""

import sys

from tfinterop.cli import main

sys.exit(main())
