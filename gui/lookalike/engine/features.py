"""What the engine keeps of an image: a compact global descriptor and local keypoints.

The global descriptor is small (it lives in memory for every image) and only has to put the right
candidates on a shortlist. The local features (ORB keypoints, for the image and for its mirror
image, so that flipped copies are found) decide the score, after geometric verification.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import cv2
import numpy as np

# The side the features are computed at: large enough for ORB's pyramid, small enough to be quick.
FEATURE_SIDE = 512
GLOBAL_DIMS = 128
MAX_KEYPOINTS = 400
_DETECT_KEYPOINTS = 5000
_ORIENTATIONS = 8
# Keypoints are spread over a GRID x GRID layout, so an overlay cannot take them all.
_GRID = 8
# Colour thumbnail compared after alignment, to see whether the matched scene has changed.
THUMB_SIDE = 64
_FORMAT_VERSION = 2
# version, width, height, working width and height, keypoints, flatness, mirror keypoints,
# thumbnail width and height
_HEADER = struct.Struct("<BHHHHHfHBB")


@dataclass(frozen=True, slots=True)
class Keypoints:
    """ORB keypoints in the working frame: float32 (n, 2) positions, uint8 (n, 32) descriptors."""

    points: np.ndarray
    descriptors: np.ndarray

    frame: tuple[int, int] = (0, 0)

    def __len__(self) -> int:
        return len(self.points)


@dataclass(frozen=True, slots=True)
class ImageFeatures:
    """Everything the engine scores an image by.

    ``global_vector`` and ``mirror_vector`` are unit float32 vectors of GLOBAL_DIMS; ``flatness`` is
    the share of the picture without texture (1.0 for a solid colour), used to keep flat images
    from looking identical to each other.
    """

    width: int
    height: int
    work_size: tuple[int, int]
    global_vector: np.ndarray
    mirror_vector: np.ndarray
    keypoints: Keypoints
    mirror_keypoints: Keypoints
    flatness: float
    thumbnail: np.ndarray

    def to_bytes(self) -> bytes:
        """A compact, versioned serialisation (positions kept as float16 pairs)."""
        n, m = len(self.keypoints), len(self.mirror_keypoints)
        header = _HEADER.pack(
            _FORMAT_VERSION, min(self.width, 65535), min(self.height, 65535),
            self.work_size[0], self.work_size[1], n, self.flatness, m,
            self.thumbnail.shape[1], self.thumbnail.shape[0],
        )
        parts = [
            header,
            self.global_vector.astype(np.float16).tobytes(),
            self.mirror_vector.astype(np.float16).tobytes(),
            self.keypoints.points.astype(np.float16).tobytes(),
            self.keypoints.descriptors.tobytes(),
            self.mirror_keypoints.points.astype(np.float16).tobytes(),
            self.mirror_keypoints.descriptors.tobytes(),
            np.ascontiguousarray(self.thumbnail, dtype=np.uint8).tobytes(),
        ]
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, blob: bytes) -> ImageFeatures:
        version = blob[0] if blob else None
        if version != _FORMAT_VERSION:
            raise ValueError(f"features format {version} is not supported")
        version, width, height, ww, wh, n, flatness, m, tw, th = _HEADER.unpack_from(blob)
        if version != _FORMAT_VERSION:
            raise ValueError(f"features format {version} is not supported")
        offset = _HEADER.size

        def take(count: int, dtype: type, shape: tuple[int, ...]) -> np.ndarray:
            nonlocal offset
            size = count * np.dtype(dtype).itemsize
            array: np.ndarray = np.frombuffer(blob, dtype=dtype, count=count, offset=offset)
            array = array.reshape(shape)
            offset += size
            return array

        global_vector = take(GLOBAL_DIMS, np.float16, (GLOBAL_DIMS,)).astype(np.float32)
        mirror_vector = take(GLOBAL_DIMS, np.float16, (GLOBAL_DIMS,)).astype(np.float32)
        points = take(n * 2, np.float16, (n, 2)).astype(np.float32)
        descriptors = take(n * 32, np.uint8, (n, 32))
        mirror_points = take(m * 2, np.float16, (m, 2)).astype(np.float32)
        mirror_descriptors = take(m * 32, np.uint8, (m, 32))
        thumbnail = take(tw * th * 3, np.uint8, (th, tw, 3))
        return cls(
            width=width,
            height=height,
            work_size=(ww, wh),
            global_vector=global_vector,
            mirror_vector=mirror_vector,
            keypoints=Keypoints(points, descriptors, (ww, wh)),
            mirror_keypoints=Keypoints(mirror_points, mirror_descriptors, (ww, wh)),
            flatness=float(flatness),
            thumbnail=thumbnail,
        )


def compute_features(rgb: np.ndarray, width: int | None = None, height: int | None = None
                     ) -> ImageFeatures:
    """Compute the features of an upright RGB uint8 image (any size; it is rescaled here)."""
    work = _to_working_size(rgb)
    gray = cv2.cvtColor(work, cv2.COLOR_RGB2GRAY)
    h, w = gray.shape
    # The global descriptor and the thumbnail only need a quarter of the working size.
    small = cv2.resize(work, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    global_vector, mirror_vector = global_descriptors(
        small, cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    )
    keypoints, mirror_keypoints = detect_keypoints(gray)

    return ImageFeatures(
        width=width if width is not None else rgb.shape[1],
        height=height if height is not None else rgb.shape[0],
        work_size=(w, h),
        global_vector=global_vector,
        mirror_vector=mirror_vector,
        keypoints=keypoints,
        mirror_keypoints=mirror_keypoints,
        flatness=_flatness(gray),
        thumbnail=lab_thumbnail(small),
    )


def lab_thumbnail(rgb: np.ndarray) -> np.ndarray:
    """A THUMB_SIDE colour thumbnail in 8-bit CIE Lab, where distances follow what people see."""
    h, w = rgb.shape[:2]
    scale = THUMB_SIDE / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_RGB2LAB)


def _to_working_size(rgb: np.ndarray) -> np.ndarray:
    """Scale so the long side is FEATURE_SIDE: down with area averaging, small images up."""
    h, w = rgb.shape[:2]
    scale = FEATURE_SIDE / max(h, w)
    if abs(scale - 1.0) < 1e-3:
        return np.ascontiguousarray(rgb)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(rgb, size, interpolation=interpolation)


def _flatness(gray: np.ndarray) -> float:
    """Share of 16x16 blocks with almost no variation (a white page is 1.0, a photo near 0)."""
    h, w = gray.shape
    bh, bw = h // 16, w // 16
    if bh == 0 or bw == 0:
        return 1.0
    blocks = gray[: bh * 16, : bw * 16].reshape(bh, 16, bw, 16).astype(np.float32)
    std = blocks.std(axis=(1, 3))
    return float((std < 3.0).mean())


def detect_keypoints(gray: np.ndarray) -> tuple[Keypoints, Keypoints]:
    """ORB keypoints spread over the picture, and the same keypoints on its mirror image.

    Corners are detected once; the mirror image gets the mirrored keypoints (x flipped, angle
    reflected) and only its descriptors are computed, which gives exactly what detecting on the
    mirror image would, at half the cost.
    """
    frame = (gray.shape[1], gray.shape[0])
    gray = _stretch(gray)
    # One low corner threshold for every image: a per-image threshold would pick different corners
    # in an image and in its edited copy. Many corners are detected (cheap), the strongest of each
    # grid cell are kept, and only those get descriptors.
    orb = cv2.ORB.create(
        nfeatures=_DETECT_KEYPOINTS, scaleFactor=1.2, nlevels=8, edgeThreshold=19,
        patchSize=19, fastThreshold=7,
    )
    detected = orb.detect(gray, None)
    # TODO: smooth pictures (a night sky, a soft painting) keep a few dozen keypoints and their
    # edited copies often fail to match; a lower threshold alone made things worse (tried: 3).
    if not detected:
        return _no_keypoints(frame), _no_keypoints(frame)

    points = np.asarray(cv2.KeyPoint.convert(detected), dtype=np.float32)
    responses = np.fromiter((kp.response for kp in detected), np.float32, len(detected))
    keep = _spread(points, responses, gray.shape, MAX_KEYPOINTS)
    chosen = [detected[i] for i in keep]
    width = gray.shape[1]
    mirrored = [
        cv2.KeyPoint(width - 1 - kp.pt[0], kp.pt[1], kp.size, (180.0 - kp.angle) % 360.0,
                     kp.response, kp.octave, kp.class_id)
        for kp in chosen
    ]
    return (
        _described(orb, gray, chosen, frame),
        _described(orb, cv2.flip(gray, 1), mirrored, frame),
    )


def _described(orb: cv2.ORB, gray: np.ndarray, keypoints: list[cv2.KeyPoint],
               frame: tuple[int, int]) -> Keypoints:
    described, descriptors = orb.compute(gray, keypoints)
    if descriptors is None or len(described) == 0:
        return _no_keypoints(frame)
    points = np.asarray(cv2.KeyPoint.convert(described), dtype=np.float32)
    return Keypoints(points, descriptors, frame)


def _no_keypoints(frame: tuple[int, int]) -> Keypoints:
    return Keypoints(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8), frame)


def _stretch(gray: np.ndarray) -> np.ndarray:
    """Spread the grey levels between the 1st and 99th percentile, so contrast edits drop out."""
    histogram = cv2.calcHist([gray], [0], None, [256], [0, 256]).ravel()
    cumulative = np.cumsum(histogram) / max(float(histogram.sum()), 1.0)
    low = float(np.searchsorted(cumulative, 0.01))
    high = float(np.searchsorted(cumulative, 0.99))
    if high - low < 8:
        return gray
    lut = np.clip((np.arange(256, dtype=np.float32) - low) * 255.0 / (high - low), 0, 255)
    return cv2.LUT(gray, lut.astype(np.uint8))


def _spread(points: np.ndarray, responses: np.ndarray, shape: tuple[int, ...], limit: int
            ) -> np.ndarray:
    """Pick up to ``limit`` keypoints, strongest first within each grid cell, cells in turn."""
    if len(points) <= limit:
        return np.arange(len(points))
    h, w = shape[:2]
    cell_x = np.minimum((points[:, 0] * _GRID / w).astype(int), _GRID - 1)
    cell_y = np.minimum((points[:, 1] * _GRID / h).astype(int), _GRID - 1)
    cell = cell_y * _GRID + cell_x

    # Rank each keypoint within its cell by response, then take rank 0 of every cell, rank 1, ...
    order = np.lexsort((-responses, cell))
    ranks = np.empty(len(points), dtype=int)
    sorted_cells = cell[order]
    starts = np.searchsorted(sorted_cells, sorted_cells, side="left")
    ranks[order] = np.arange(len(points)) - starts
    chosen = np.lexsort((-responses, ranks))[:limit]
    return np.sort(chosen)


def global_descriptors(rgb: np.ndarray, gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors of the picture and of its mirror image, for the in-memory shortlist.

    They survive resizing, compression, blur, light and colour shifts. Three parts, each
    normalised, then joined: the layout of light (an 8x8 thumbnail of the central area, zero mean
    and unit variance, so brightness and contrast drop out), a hue/saturation histogram, and 2x2
    cells of gradient-orientation histograms. The mirror image's vector is the same numbers
    rearranged (columns swapped, orientations reflected), so it costs nothing to compute.
    """
    h, w = gray.shape
    y0, y1, x0, x1 = int(h * 0.1), int(h * 0.9), int(w * 0.1), int(w * 0.9)
    center = gray[y0:y1, x0:x1].astype(np.float32)
    thumb = cv2.resize(center, (8, 8), interpolation=cv2.INTER_AREA)

    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, [8, 4], [0, 180, 0, 256]).ravel()
    hist = _standardise(np.sqrt(hist / max(hist.sum(), 1.0)))

    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    magnitude, angle = cv2.cartToPolar(gx, gy)
    bins = np.minimum((angle % np.pi) / np.pi * _ORIENTATIONS, _ORIENTATIONS - 1).astype(int)
    cells = np.zeros((2, 2, _ORIENTATIONS), np.float64)
    for cy in range(2):
        for cx in range(2):
            ys = slice(cy * h // 2, (cy + 1) * h // 2)
            xs = slice(cx * w // 2, (cx + 1) * w // 2)
            cells[cy, cx] = np.bincount(
                bins[ys, xs].ravel(), magnitude[ys, xs].ravel(), _ORIENTATIONS
            )
    # Mirroring swaps the cell columns and reflects each orientation bin b to (n - 1 - b).
    mirror_cells = cells[:, ::-1, ::-1]

    def joined(thumb_part: np.ndarray, cell_part: np.ndarray) -> np.ndarray:
        grad = _standardise(np.sqrt(cell_part.ravel()))
        vector = np.concatenate([_standardise(thumb_part.ravel()), hist * 0.8, grad * 0.8])
        vector = np.pad(vector.astype(np.float32), (0, GLOBAL_DIMS - len(vector)))
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else vector

    return joined(thumb, cells), joined(thumb[:, ::-1], mirror_cells)


def _standardise(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float32)
    values = values - values.mean()
    norm = float(np.linalg.norm(values))
    return values / norm if norm > 1e-6 else np.zeros_like(values)
