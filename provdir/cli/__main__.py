"""``python -m provdir.cli``."""

import sys

from provdir.cli import main

sys.exit(main())
