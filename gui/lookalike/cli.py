"""Command line: ``lookalike`` opens the window, ``lookalike serve`` runs the HTTP service.

The frozen app has a single executable, so the desktop window starts its own local service by
running this same entry point with ``serve``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from lookalike import __version__

SECRET_ENV = "LOOKALIKE_CLIENT_SECRET"
# The largest request body `serve` takes; lookalike.service.bodies has the same default.
DEFAULT_MAX_UPLOAD_MB = 200


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 0 (any free port) to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port: use 0-65535 (0 picks a free one)")
    return port


def positive_count(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"{count} is too few: give at least 1")
    return count


class OneLineErrorParser(argparse.ArgumentParser):
    """A bad argument gets one line naming it, and exit status 2.

    argparse's default puts the whole usage block of ``serve`` above that line, which hides
    the line that matters in a service manager's log.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lookalike", description="Tag and find images by how they look."
    )
    parser.add_argument("--version", action="version", version=f"lookalike {__version__}")
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="open the window, start the local service, then quit (used to check a build)",
    )
    sub = parser.add_subparsers(dest="command", parser_class=OneLineErrorParser)

    serve = sub.add_parser("serve", help="run the Aspose-compatible image search service")
    serve.add_argument(
        "--storage", type=Path, required=True, help="root folder that image ids are relative to"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=port_number, default=8080, help="0 picks a free port")
    serve.add_argument("--data", type=Path, default=None, help="where search contexts are kept")
    serve.add_argument("--client-id", default=None)
    serve.add_argument(
        "--client-secret",
        default=os.environ.get(SECRET_ENV),
        help=f"also read from ${SECRET_ENV}, which keeps it out of the process list",
    )
    serve.add_argument(
        "--workers", type=positive_count, default=None,
        help="decoding processes (default: one per core)",
    )
    serve.add_argument(
        "--max-upload-mb", type=positive_count, default=DEFAULT_MAX_UPLOAD_MB,
        help=f"largest request body, in MB; larger ones get 413 (default {DEFAULT_MAX_UPLOAD_MB})",
    )
    serve.add_argument(
        "--ready-line",
        action="store_true",
        help="print 'LOOKALIKE_READY <url>' on stdout once listening (used by the desktop app)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = getattr(logging, args.log_level)

    if args.command == "serve":
        from lookalike.logsetup import configure_logging
        from lookalike.service.server import run_server

        configure_logging(level)
        return run_server(args)

    from lookalike.ui.app import run_app

    return run_app(args, level)


if __name__ == "__main__":
    sys.exit(main())
