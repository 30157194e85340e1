"""Allows ``python -m lookalike``; the frozen app enters here too."""

import multiprocessing

from lookalike.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    raise SystemExit(main())
