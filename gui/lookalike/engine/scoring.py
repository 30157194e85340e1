"""Similarity of two images, 0-100, from keypoint matches that agree on one geometry.

Global descriptors say "these two look alike" for any two beaches; a set of keypoints that map onto
each other through a single homography says "this is the same picture, or the same scene". The
score is built on the second, which is what Aspose's service means by similar.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from lookalike.engine.features import ImageFeatures, Keypoints

_RATIO = 0.8  # Lowe's ratio test
_REPROJECTION_PX = 6.0  # at the 512 px working size
_NULL_INLIERS = 6  # what unrelated images reach by chance
_MIN_KEYPOINTS = 12


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Inliers of the best geometry, and how many keypoints of each side fall in the overlap."""

    inliers: int
    matches: int
    overlap: int
    score: float


def similarity(a: ImageFeatures, b: ImageFeatures) -> float:
    """The score of a pair: deterministic, and the same whichever way round the pair is given.

    The pair is put in a canonical order first, so both orders run the very same computation
    (keypoint matching and the robust fit are not symmetric by themselves). A mirrored match is
    only tried when the straight one is not already conclusive.
    """
    first, second = (a, b) if _order_key(a) <= _order_key(b) else (b, a)
    score = match_keypoints(first.keypoints, second.keypoints).score
    if score < 90:
        score = max(score, match_keypoints(first.mirror_keypoints, second.keypoints).score)
    return round(_flat_penalty(score, a, b), 2)


def _order_key(features: ImageFeatures) -> bytes:
    return features.global_vector.tobytes() + features.keypoints.descriptors[:8].tobytes()


def _flat_penalty(score: float, a: ImageFeatures, b: ImageFeatures) -> float:
    """Flat pictures have few real keypoints: cap what they can score."""
    flat = max(a.flatness, b.flatness)
    if flat <= 0.9:
        return score
    return score * max(0.0, (1.0 - flat) / 0.1)


def match_keypoints(a: Keypoints, b: Keypoints) -> MatchResult:
    """Count the matches consistent with one homography and turn them into a 0-100 score."""
    if len(a) < _MIN_KEYPOINTS or len(b) < _MIN_KEYPOINTS:
        return MatchResult(0, 0, 0, 0.0)

    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    pairs = matcher.knnMatch(a.descriptors, b.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < _RATIO * p[1].distance]
    if len(good) < 8:
        return MatchResult(0, len(good), 0, 0.0)

    src = a.points[[m.queryIdx for m in good]]
    dst = b.points[[m.trainIdx for m in good]]
    homography, mask = cv2.findHomography(
        src, dst, cv2.USAC_ACCURATE, _REPROJECTION_PX, maxIters=2000, confidence=0.995
    )
    if homography is None or mask is None or not _plausible(homography):
        return MatchResult(0, len(good), 0, 0.0)

    inliers = int(mask.sum())
    overlap = min(
        _inside(a.points, homography, b.frame),
        _inside(b.points, np.linalg.inv(homography), a.frame),
    )
    return MatchResult(inliers, len(good), overlap, _score(inliers, overlap))


def _inside(points: np.ndarray, homography: np.ndarray, frame: tuple[int, int]) -> int:
    """How many points land inside the other picture's frame once mapped."""
    mapped = cv2.perspectiveTransform(points.reshape(-1, 1, 2), homography).reshape(-1, 2)
    w, h = frame
    inside = (mapped[:, 0] >= 0) & (mapped[:, 0] < w) & (mapped[:, 1] >= 0) & (mapped[:, 1] < h)
    return int(inside.sum())


def _plausible(homography: np.ndarray) -> bool:
    """Reject mappings that fold, flip or blow up the picture (chance fits do that)."""
    det = float(np.linalg.det(homography[:2, :2]))
    if det <= 0.02 or det > 50:
        return False
    return abs(homography[2, 0]) < 0.005 and abs(homography[2, 1]) < 0.005


def _score(inliers: int, overlap: int) -> float:
    """Map inliers to 0-100: nothing below chance, then saturating in absolute and relative terms.

    ``overlap`` is the number of keypoints that could have matched (those in the shared area), so a
    crop is judged on the part it kept, and a picture with its subject painted out is not.
    """
    excess = max(0, inliers - _NULL_INLIERS)
    absolute = 1.0 - math.exp(-excess / 20.0)
    ratio = inliers / max(overlap, 30)
    relative = min(1.0, max(0.0, (ratio - 0.06) / 0.3))
    return round(100.0 * math.sqrt(absolute * relative), 2)
