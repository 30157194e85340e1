"""The parts of the score that the photo-level tests only see through their sum."""

from __future__ import annotations

import numpy as np
import pytest

from lookalike.engine.features import THUMB_SIDE, lab_thumbnail
from lookalike.engine.scoring import changed_share, mutual_coverage

FRAME = (512, 320)


def test_a_picture_covers_all_of_itself() -> None:
    assert mutual_coverage(FRAME, FRAME, np.eye(3)) == 1.0


def test_a_centred_half_size_crop_shows_a_quarter_of_the_original() -> None:
    # The crop (256 x 160 from the centre, shown at the same working size) maps into the
    # original's frame at half scale.
    crop_to_original = np.array([[0.5, 0, 128], [0, 0.5, 80], [0, 0, 1]], dtype=np.float64)
    assert mutual_coverage(FRAME, FRAME, crop_to_original) == pytest.approx(0.25, abs=0.01)


def test_pictures_side_by_side_share_nothing() -> None:
    shifted = np.array([[1, 0, 600], [0, 1, 0], [0, 0, 1]], dtype=np.float64)
    assert mutual_coverage(FRAME, FRAME, shifted) == 0.0


def _picture(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(10, 16, 3), dtype=np.uint8)
    return np.kron(small, np.ones((32, 32, 1), dtype=np.uint8))  # 320 x 512, blocky


def test_a_brighter_copy_has_not_changed() -> None:
    picture = _picture(1)
    brighter = np.clip(picture.astype(np.int32) * 13 // 10 + 10, 0, 255).astype(np.uint8)
    share = changed_share(
        lab_thumbnail(picture), FRAME, lab_thumbnail(brighter), FRAME, np.eye(3)
    )
    assert share < 0.05


def test_a_painted_out_third_has_changed() -> None:
    picture = _picture(2)
    painted = picture.copy()
    painted[:, :170] = (90, 140, 220)  # a flat blue over the left third
    share = changed_share(lab_thumbnail(picture), FRAME, lab_thumbnail(painted), FRAME, np.eye(3))
    assert 0.2 < share < 0.4


def test_the_thumbnail_keeps_the_aspect_ratio() -> None:
    assert lab_thumbnail(_picture(3)).shape == (40, THUMB_SIDE, 3)
