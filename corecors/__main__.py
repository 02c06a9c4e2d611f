"""``python -m corecors``: the same as the ``corecors`` command."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
