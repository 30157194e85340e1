"""Logging configuration for the app and the commands; library modules only get loggers."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(process)d]: %(message)s"


def configure_logging(level: int = logging.INFO, log_file: Path | None = None) -> None:
    """Send records to stderr, and to a rotating file when one is given."""
    root = logging.getLogger()
    root.setLevel(level)
    formatter = logging.Formatter(FORMAT)

    stream = logging.StreamHandler()
    stream.setFormatter(formatter)
    root.addHandler(stream)

    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
        )
        handler.setFormatter(formatter)
        root.addHandler(handler)
