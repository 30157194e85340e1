"""Lookalike's desktop window (PySide6). Reaches the backend only through :mod:`lookalike.client`."""
