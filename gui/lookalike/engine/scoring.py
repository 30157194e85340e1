"""Similarity of two images, 0-100: is this the same picture, or the same scene?

Two checks, both needed for a high score:

1. Geometry: keypoint matches that agree on one homography. Unrelated pictures reach a handful of
   such inliers by chance; an edited copy (resized, compressed, rotated, flipped, cropped, relit)
   keeps dozens. Global descriptors and hashes cannot tell "the same beach" from "a beach".
2. Appearance: with the two pictures aligned by that homography, how much of the shared area has
   changed? Small colour thumbnails are compared after their tones are matched (so brightness and
   contrast edits drop out), and only changed areas larger than thin strokes count (so text and
   logo overlays cost little). A copy whose main subject was painted out matches the rest of the
   scene perfectly, but fails this check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from lookalike.engine.features import ImageFeatures, Keypoints

# Global likeness below which a pair is not even matched: edited copies stay well above it
# (the lowest seen on real photos: 0.31, for a corner crop), unrelated pictures mostly below.
GLOBAL_FLOOR = 0.2
_RATIO = 0.8  # Lowe's ratio test
_REPROJECTION_PX = 6.0  # at the 512 px working size
_MIN_KEYPOINTS = 12
# How much more a plausible mapping may stretch one direction than the other.
_MAX_ANISOTROPY = 2.0
# Inliers that unrelated pictures reach by chance, and how fast confidence grows beyond them.
_NULL_INLIERS = 6
_INLIER_SCALE = 6.0
# Colour distance (CIE Lab units, after tone matching) above which a thumbnail pixel has changed.
_CHANGED_DELTA_E = 25.0
# Mean chroma below which a picture counts as grey: a greyscale copy is compared by lightness only.
_GREY_CHROMA = 3.0
# Share of the shared area that may change (overlays, edits) before the score drops, and how
# sharply it then drops: a painted-out subject changes about a sixth of a picture.
_CHANGED_MIDPOINT = 0.135
_CHANGED_SOFTNESS = 0.01
# Scores of partial views: a picture that shows only part of the other (a crop, a wider shot) keeps
# at least _PART_FLOOR of its score; from _WHOLE_COVERAGE of each other on, nothing is taken.
_PART_FLOOR = 0.6
_WHOLE_COVERAGE = 0.85
_COVERAGE_GRID = 32
# Share of textureless blocks above which a picture counts as nearly flat.
_FLAT_FROM = 0.98
# Shared area (as a share of the first picture) below which appearance is not judged.
_MIN_SHARED = 0.05


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The best geometry found between two sets of keypoints."""

    inliers: int
    matches: int
    homography: np.ndarray | None


def similarity(a: ImageFeatures, b: ImageFeatures) -> float:
    """The score of a pair: deterministic, and the same whichever way round the pair is given.

    The pair is put in a canonical order first, so both orders run the very same computation
    (keypoint matching and the robust fit are not symmetric by themselves). A mirrored match is
    only tried when the straight one is not already conclusive.
    """
    first, second = (a, b) if _order_key(a) <= _order_key(b) else (b, a)
    straight = float(first.global_vector @ second.global_vector)
    mirrored = float(first.mirror_vector @ second.global_vector)
    score = 0.0
    for is_mirror, likeness in sorted(((False, straight), (True, mirrored)), key=lambda o: -o[1]):
        if likeness < GLOBAL_FLOOR or score >= 90:
            break
        score = max(score, _aligned_score(first, second, mirrored=is_mirror))
    return round(_flat_penalty(score, a, b), 2)


def _aligned_score(a: ImageFeatures, b: ImageFeatures, *, mirrored: bool) -> float:
    match = match_keypoints(a.mirror_keypoints if mirrored else a.keypoints, b.keypoints)
    if match.homography is None:
        return 0.0
    confidence = 1.0 - math.exp(-max(0, match.inliers - _NULL_INLIERS) / _INLIER_SCALE)
    if confidence <= 0:
        return 0.0
    thumbnail = cv2.flip(a.thumbnail, 1) if mirrored else a.thumbnail
    changed = changed_share(thumbnail, a.work_size, b.thumbnail, b.work_size, match.homography)
    appearance = 1.0 / (1.0 + math.exp((changed - _CHANGED_MIDPOINT) / _CHANGED_SOFTNESS))
    coverage = mutual_coverage(a.work_size, b.work_size, match.homography)
    extent = min(1.0, _PART_FLOOR + (1.0 - _PART_FLOOR) * coverage / _WHOLE_COVERAGE)
    return 100.0 * confidence * appearance * extent


def mutual_coverage(
    work_a: tuple[int, int], work_b: tuple[int, int], homography: np.ndarray
) -> float:
    """The smaller of the shares of each picture that the other one shows.

    A crop, or a wider shot of the same scene, shows only part of the other picture: similar,
    but not a duplicate, so it scores lower than a copy of the whole. Measured on a grid of
    sample points of each frame, which is exact enough and never trips on degenerate polygons.
    """
    inverse = np.linalg.inv(homography)
    return min(_share_inside(work_a, homography, work_b), _share_inside(work_b, inverse, work_a))


def _share_inside(
    frame: tuple[int, int], homography: np.ndarray, other: tuple[int, int]
) -> float:
    steps = np.arange(_COVERAGE_GRID, dtype=np.float32) + 0.5
    xs, ys = np.meshgrid(steps * frame[0] / _COVERAGE_GRID, steps * frame[1] / _COVERAGE_GRID)
    points = np.stack([xs.ravel(), ys.ravel()], axis=1).reshape(-1, 1, 2)
    mapped = cv2.perspectiveTransform(points, homography).reshape(-1, 2)
    inside = (
        (mapped[:, 0] >= 0) & (mapped[:, 0] < other[0])
        & (mapped[:, 1] >= 0) & (mapped[:, 1] < other[1])
    )
    return float(inside.mean())


def _order_key(features: ImageFeatures) -> bytes:
    return features.global_vector.tobytes() + features.keypoints.descriptors[:8].tobytes()


def _flat_penalty(score: float, a: ImageFeatures, b: ImageFeatures) -> float:
    """Nearly flat pictures (a white page, a solid colour with a speck) have a few keypoints at
    best, and those on noise or compression edges: cap what they can score."""
    flat = max(a.flatness, b.flatness)
    if flat <= _FLAT_FROM:
        return score
    return score * max(0.0, (1.0 - flat) / (1.0 - _FLAT_FROM))


def match_keypoints(a: Keypoints, b: Keypoints) -> MatchResult:
    """Match descriptors and fit one homography (from ``a``'s frame to ``b``'s) to the matches."""
    if len(a) < _MIN_KEYPOINTS or len(b) < _MIN_KEYPOINTS:
        return MatchResult(0, 0, None)

    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    pairs = matcher.knnMatch(a.descriptors, b.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < _RATIO * p[1].distance]
    if len(good) < 8:
        return MatchResult(0, len(good), None)

    src = a.points[[m.queryIdx for m in good]]
    dst = b.points[[m.trainIdx for m in good]]
    homography, mask = cv2.findHomography(
        src, dst, cv2.USAC_ACCURATE, _REPROJECTION_PX, maxIters=2000, confidence=0.995
    )
    if homography is None or mask is None or not _plausible(homography):
        return MatchResult(0, len(good), None)
    return MatchResult(int(mask.sum()), len(good), homography)


def _plausible(homography: np.ndarray) -> bool:
    """Reject mappings that fold, flip, shear or blow up the picture (chance fits do that).

    Edits people make (resizing, cropping, rotating, a little perspective) keep shapes: the
    linear part stays close to a rotation times a scale.
    """
    linear = homography[:2, :2]
    det = float(np.linalg.det(linear))
    if det <= 0.02 or det > 50:
        return False
    largest, smallest = np.linalg.svd(linear, compute_uv=False)
    if largest > _MAX_ANISOTROPY * smallest:
        return False
    return abs(homography[2, 0]) < 0.005 and abs(homography[2, 1]) < 0.005


def changed_share(
    thumb_a: np.ndarray,
    work_a: tuple[int, int],
    thumb_b: np.ndarray,
    work_b: tuple[int, int],
    homography: np.ndarray,
) -> float:
    """Share of the area both pictures show that differs in a patch wider than a thin stroke.

    ``homography`` maps ``a``'s working frame to ``b``'s. ``b``'s thumbnail is warped onto ``a``'s;
    its lightness is matched to ``a``'s by quantiles and its colour by mean and spread, so that
    global tone edits cancel out. Returns 1.0 when the pictures share almost nothing.
    """
    lab_a, lab_b = _float_lab(thumb_a), _float_lab(thumb_b)
    scale_a = thumb_a.shape[1] / work_a[0]
    scale_b = thumb_b.shape[1] / work_b[0]
    to_thumbs = np.diag([scale_b, scale_b, 1.0]) @ homography @ np.diag(
        [1 / scale_a, 1 / scale_a, 1.0]
    )
    height, width = lab_a.shape[:2]
    warped = cv2.warpPerspective(
        lab_b, to_thumbs, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT, borderValue=(-1000.0, 0.0, 0.0),
    )
    shown = (warped[..., 0] > -500).astype(np.uint8)
    shared = cv2.erode(shown, np.ones((3, 3), np.uint8)).astype(bool)
    if shared.mean() < _MIN_SHARED:
        return 1.0

    ours, theirs = lab_a[shared], warped[shared]
    quantiles = np.linspace(0, 100, 33)
    target = np.percentile(ours[:, 0], quantiles)
    source = np.maximum.accumulate(np.percentile(theirs[:, 0], quantiles) + np.arange(33) * 1e-4)
    lightness = np.interp(warped[..., 0], source, target)
    distance = (lab_a[..., 0] - lightness) ** 2
    colourless = min(_chroma(ours), _chroma(theirs)) < _GREY_CHROMA
    for channel in () if colourless else (1, 2):
        spread = (ours[:, channel].std() + 1.0) / (theirs[:, channel].std() + 1.0)
        matched = (warped[..., channel] - theirs[:, channel].mean()) * spread
        distance += (lab_a[..., channel] - matched - ours[:, channel].mean()) ** 2

    changed = ((distance > _CHANGED_DELTA_E**2) & shared).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    changed = cv2.morphologyEx(changed, cv2.MORPH_OPEN, kernel)
    return float(changed[shared].mean())


def _chroma(lab_pixels: np.ndarray) -> float:
    """How colourful pixels are on average (0 for a grey picture)."""
    return float(np.hypot(lab_pixels[:, 1], lab_pixels[:, 2]).mean())


def _float_lab(thumbnail: np.ndarray) -> np.ndarray:
    """8-bit OpenCV Lab back to CIE units: L in 0-100, a and b centred on 0."""
    lab = thumbnail.astype(np.float32)
    lab[..., 0] *= 100.0 / 255.0
    lab[..., 1:] -= 128.0
    return lab
