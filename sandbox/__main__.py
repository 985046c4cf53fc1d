"""``python -m sandbox --write-config PATH``: run the simulated deployment in the foreground."""

from __future__ import annotations

import sys

from sandbox.runner import main

sys.exit(main())
