"""The functions worker processes run: decode an image and compute its features.

Module-level and small, so that they pickle cheaply and import little in a fresh worker.
"""

from __future__ import annotations

from pathlib import Path

from lookalike.engine.decode import decode_image
from lookalike.engine.features import FEATURE_SIDE, compute_features


def extract(source: Path | bytes, name: str) -> tuple[bytes, int, int]:
    """Features blob, full width and full height of an image file or of image bytes."""
    decoded = decode_image(source, max_side=FEATURE_SIDE, name=name)
    features = compute_features(decoded.pixels, decoded.width, decoded.height)
    return features.to_bytes(), decoded.width, decoded.height
