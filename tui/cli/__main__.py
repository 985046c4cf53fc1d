"""``python -m tui.cli`` is the ``ttes-console`` command."""

import sys

from tui.cli import main

sys.exit(main())
