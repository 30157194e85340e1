"""Lookalike's desktop window (PySide6); it reaches the backend only through the client."""
