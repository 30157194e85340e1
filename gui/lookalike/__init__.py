"""Lookalike: a desktop image organizer built on reverse image search."""

__version__ = "0.1.0"
