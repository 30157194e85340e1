"""Decoding real-world files: the bad-image corpus as its manifest says, and pixels come out right.

The corpus rows go through the engine (worker processes included); the pixel checks call
:func:`decode_image` directly, since they are about what the decoder makes of a file.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lookalike.engine import Engine, ImageDecodeError
from lookalike.engine.decode import MAX_PIXELS, decode_image, image_size, supported_formats
from tests.support.photos import BAD_IMAGES, REPO_ROOT

MANIFEST = BAD_IMAGES / "manifest.tsv"


def _manifest_rows() -> list[dict[str, str]]:
    with MANIFEST.open(encoding="utf-8", newline="") as fp:
        return list(csv.DictReader(fp, delimiter="\t"))


ROWS = _manifest_rows()

# The manifest's expected_behaviour column, read as "index it" or "report it". A file whose first
# frame is fine indexes, whatever its later frames hold.
_INDEX_PREFIXES = ("decode ok", "frame 0 ok")

# Where we decide against the manifest's wording, and why.
_DECISIONS = {
    # "policy decision": the issue asks that a real 200 MP photo pass.
    "heif__200MP.heic": "index",
    # "13.0: clear error (ValueError)" comes from iterating the layers. We decode the composite
    # only, which is intact; layers reaching past the canvas are legal in Photoshop files.
    "pillow__psd-oob-write.psd": "index",
    "pillow__psd-oob-write-x.psd": "index",
}

# The one-line reason the user reads for every file we report, worded for people.
REASONS = {
    "pillow__truncated_jpeg.jpg": "file is truncated",
    "pillow__truncated_image.png": "file is truncated",
    "pillow__truncated_end_chunk.png": "file is truncated",
    "pillow__broken_data_stream.png": "file is damaged (bad checksum in the IDAT chunk)",
    "pngsuite__xcsn0g01.png": "file is damaged (bad checksum in the IDAT chunk)",
    "pngsuite__xhdn0g08.png": "damaged PNG header",
    "pngsuite__xs1n0g01.png": "not an image (unrecognised format)",
    "pngsuite__xdtn0g01.png": "image data is corrupt: cannot load this image",
    "pillow__broken.png": "damaged PNG header",
    "pillow__ultrahdr.jpg": "file is truncated",
    "pillow__png_decompression_dos.png":
        "a metadata chunk is too large (possible decompression bomb)",
    "heif__empty.heic": "file is empty",
    "heif__corrupted.heic": "damaged HEIF file",
    "heif__corrupted.hif": "file is truncated",
    "pillow__timeout-6646305047838720": "file is truncated",
    "pillow__hopper_webp.tif": "unsupported TIFF compression (webp)",
    "pillow__decompression_bomb.gif": "image is 4,365 megapixels, over the 250-megapixel limit",
    "pillow__reallybig.bmp": "image is 6,000,000 megapixels, over the 250-megapixel limit",
    "pillow__l2rgb_read.bmp": "file is truncated",
    "pillow__oom-8ed3316a4109213ca96fb8a256a0bfefdece1461.icns":
        "image is 259,635 megapixels, over the 250-megapixel limit",
    "pillow__timeout-060745d3f534ad6e4128c51d336ea5489182c69d.blp": "file is truncated",
    "pillow__zero_width.gif": "image has zero width",
    "pillow__zero_height.j2k": "image has zero height",
    "pillow__negative_size.ppm": "not an image (unrecognised format)",
    "pillow__psd-oob-write-overflow.psd": "image data is corrupt: negative tile size",
    "pillow__crash-2020-10-test.tif": "image data is corrupt: decoder error -2",
    "pillow__crash-6b7f2244da6d0ae297ee0754a424213444e92778.sgi":
        "image data is corrupt: buffer overrun when reading image file",
    "pillow__crash-4fb027452e6988530aa5dabee76eecacb3b79f8a.j2k":
        "image data is corrupt: broken data stream when reading image file",
    "ljt__monkey12.jpg": "unsupported JPEG (12-bit samples)",
    "pillow__zero_bb.eps": "postscript (EPS) images are not supported",
}


def expected_outcome(row: dict[str, str]) -> str:
    if row["file"] in _DECISIONS:
        return _DECISIONS[row["file"]]
    behaviour = row["expected_behaviour"].strip().lower()
    return "index" if behaviour.startswith(_INDEX_PREFIXES) else "report"


def test_pillow_has_the_2026_memory_safety_fixes() -> None:
    import tomllib

    import PIL

    version = tuple(int(part) for part in PIL.__version__.split(".")[:2])
    assert version >= (12, 3)
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert "pillow>=12.3" in pyproject["project"]["dependencies"]


def test_the_manifest_lists_every_file_of_the_corpus() -> None:
    listed = {row["file"] for row in ROWS}
    present = {p.name for p in BAD_IMAGES.iterdir() if p.suffix not in (".tsv", ".txt")}
    assert listed == present
    assert len(ROWS) == 73
    reported = {row["file"] for row in ROWS if expected_outcome(row) == "report"}
    assert reported == set(REASONS)


@pytest.mark.parametrize("row", ROWS, ids=[row["file"] for row in ROWS])
def test_each_bad_image_indexes_or_is_reported_as_the_manifest_says(
    engine: Engine, context: str, row: dict[str, str]
) -> None:
    path = BAD_IMAGES / row["file"]
    if expected_outcome(row) == "index":
        info = engine.add_image(context, row["file"], path=path)
        assert info.has_features
        assert info.width >= 1 and info.height >= 1
        assert len(engine.features_blob(context, row["file"])) > 0
        return
    with pytest.raises(ImageDecodeError) as caught:
        engine.add_image(context, row["file"], path=path)
    assert caught.value.source == row["file"]
    assert caught.value.reason == REASONS[row["file"]]
    assert str(caught.value) == f"Can't read {row['file']}: {REASONS[row['file']]}"
    assert row["file"] not in engine.image_ids(context)


def test_the_whole_corpus_in_one_batch(engine: Engine, context: str) -> None:
    engine.extract_folder(context, BAD_IMAGES, id_prefix="bad/")
    status = engine.wait_idle(context, timeout=240)

    assert status.status == "Idle"
    indexed = {row["file"] for row in ROWS if expected_outcome(row) == "index"}
    assert set(engine.image_ids(context)) == {f"bad/{name}" for name in indexed}
    assert status.progress.total == 73
    assert status.progress.done == 73
    assert status.progress.skipped == 0
    assert not status.progress.cancelled
    failed = {Path(f.source).name: f.reason for f in status.progress.failed}
    assert failed == REASONS
    assert {Path(f.source).name: f.reason for f in engine.failures(context)} == REASONS


# --- pixels that come out right --------------------------------------------------------------

def _decoded(name: str, max_side: int = 512) -> np.ndarray:
    return decode_image(BAD_IMAGES / name, max_side=max_side).pixels.astype(np.int16)


def _mean_difference(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.mark.parametrize("orientation", range(2, 9))
def test_hopper_orientations_come_out_as_the_upright_original(orientation: int) -> None:
    upright = _decoded("pillow__hopper.jpg")
    turned = _decoded(f"pillow__hopper_orientation_{orientation}.jpg")
    assert _mean_difference(turned, upright) < 6
    # A wrong turn would differ by far more: the picture is not symmetric.
    assert _mean_difference(np.rot90(turned, 2), upright) > 25


def test_webp_exif_orientation_comes_out_upright() -> None:
    upright = _decoded("pillow__hopper.jpg")
    assert _mean_difference(_decoded("pillow__hopper_orientation_6.webp"), upright) < 8


def test_a_2x1_jpeg_with_orientation_8_is_1x2() -> None:
    decoded = decode_image(BAD_IMAGES / "pillow__orientation_rectangle.jpg")
    assert (decoded.width, decoded.height) == (1, 2)
    assert decoded.pixels.shape == (2, 1, 3)
    assert image_size(BAD_IMAGES / "pillow__orientation_rectangle.jpg") == (1, 2)


@pytest.mark.parametrize(
    "name", ["pillow__xmp_tags_orientation.png", "pillow__exif_imagemagick_orientation.png"]
)
def test_png_orientation_3_turns_the_picture_half_round(name: str) -> None:
    with Image.open(BAD_IMAGES / name) as im:
        stored = np.asarray(im.convert("RGB"), dtype=np.int16)
    decoded = _decoded(name)
    assert _mean_difference(decoded, np.rot90(stored, 2)) < 1
    assert _mean_difference(decoded, stored) > 10


# Upright 60x40 picture with four differently coloured corners; stored turned as each EXIF
# orientation says, the decoder must give back the upright one.
_CORNERS = {"top_left": (220, 30, 30), "top_right": (30, 200, 40),
            "bottom_left": (30, 40, 210), "bottom_right": (240, 240, 240)}
# The transposition that undoes each orientation, and its inverse (to make the stored file).
_STORE_AS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_270,
}


def _upright_quadrants() -> Image.Image:
    pixels = np.zeros((40, 60, 3), np.uint8)
    pixels[:20, :30] = _CORNERS["top_left"]
    pixels[:20, 30:] = _CORNERS["top_right"]
    pixels[20:, :30] = _CORNERS["bottom_left"]
    pixels[20:, 30:] = _CORNERS["bottom_right"]
    return Image.fromarray(pixels)


def _corner_colours(pixels: np.ndarray) -> dict[str, tuple[int, ...]]:
    h, w = pixels.shape[:2]
    samples = {"top_left": (h // 4, w // 4), "top_right": (h // 4, 3 * w // 4),
               "bottom_left": (3 * h // 4, w // 4), "bottom_right": (3 * h // 4, 3 * w // 4)}
    return {corner: tuple(int(v) for v in pixels[y, x]) for corner, (y, x) in samples.items()}


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_gives_the_upright_picture(fmt: str, orientation: int) -> None:
    stored = _upright_quadrants()
    if orientation > 1:
        stored = stored.transpose(_STORE_AS[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    options = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    stored.save(out, fmt, exif=exif.tobytes(), **options)

    decoded = decode_image(out.getvalue())
    assert (decoded.width, decoded.height) == (60, 40)
    for corner, colour in _corner_colours(decoded.pixels).items():
        assert np.abs(np.subtract(colour, _CORNERS[corner])).max() <= 12, corner


def test_cmyk_jpeg_is_red_on_black_not_inverted() -> None:
    for name in ("pillow__pil_sample_cmyk.jpg", "pillow__tiff_strip_cmyk_jpeg.tif"):
        pixels = _decoded(name)
        # Black background (an inverted CMYK conversion makes it white), red lettering.
        assert pixels[-5:, -5:].max() < 20, name
        assert np.median(pixels.reshape(-1, 3), axis=0).max() < 12, name
        reddish = (pixels[..., 0] > 150) & (pixels[..., 1] < 60) & (pixels[..., 2] < 60)
        assert 0.05 < reddish.mean() < 0.5, name


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("pngsuite__basn0g16.png", 0, 255),  # a full-range 16-bit grey ramp
        ("pillow__16bit.cropped.tif", 0, 255),  # values 291..694, stretched to their range
        ("pillow__10ct_32bit_128.tiff", 0, 255),  # float -3.14..3.14
    ],
)
def test_high_bit_depth_greys_are_rescaled_not_white_or_black(
    name: str, low: int, high: int
) -> None:
    pixels = _decoded(name)
    assert int(pixels.min()) == low
    assert int(pixels.max()) == high
    assert 30 < float(pixels.mean()) < 225
    assert (pixels >= 250).mean() < 0.2
    assert (pixels <= 5).mean() < 0.2
    assert float(pixels.std()) > 20


def test_16_bit_rgba_keeps_its_colours() -> None:
    pixels = _decoded("pngsuite__basn6a16.png")
    assert float(pixels.std()) > 20
    assert (pixels >= 250).mean() < 0.1


def test_cielab_tiff_looks_like_the_rgb_original() -> None:
    assert _mean_difference(_decoded("pillow__hopper.Lab.tif"), _decoded("pillow__hopper.jpg")) < 6


@pytest.mark.parametrize("name", ["pillow__p_trns_single.png", "pillow__rgb_trns.png"])
def test_transparent_pixels_are_laid_on_grey(name: str) -> None:
    pixels = _decoded(name)
    # A rainbow with a transparent square in the middle (palette index / colour key).
    assert pixels[32, 32].tolist() == [128, 128, 128]
    assert pixels[0, 0].tolist() == [255, 0, 0]
    assert float(pixels.std()) > 50


def test_animated_star_avif_sequence_is_its_first_frame_on_grey() -> None:
    pixels = _decoded("pillow__star.avifs")
    assert pixels[0, 0].tolist() == [128, 128, 128]
    centre = pixels[pixels.shape[0] // 2, pixels.shape[1] // 2]
    assert centre[0] > 200 and centre[2] < 200  # the pale yellow star


def test_the_same_animation_decodes_alike_in_gif_webp_and_apng() -> None:
    gif = _decoded("pillow__iss634.gif")
    assert _mean_difference(_decoded("pillow__iss634.webp"), gif) < 4
    assert _mean_difference(_decoded("pillow__iss634.apng"), gif) < 4


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_animations_give_their_first_frame(fmt: str) -> None:
    frames = [Image.new("RGB", (64, 48), colour) for colour in ((200, 20, 20), (20, 20, 200))]
    out = io.BytesIO()
    frames[0].save(out, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0,
                   **({"lossless": True} if fmt == "WEBP" else {}))
    with Image.open(io.BytesIO(out.getvalue())) as check:
        assert getattr(check, "n_frames", 1) == 2
    pixels = decode_image(out.getvalue()).pixels
    assert np.abs(pixels[24, 32].astype(int) - (200, 20, 20)).max() <= 8


def test_heic_and_avif_are_read() -> None:
    assert supported_formats() == {"HEIC": True, "AVIF": True}
    pug = decode_image(BAD_IMAGES / "heif__pug.heic", max_side=128)
    assert (pug.width, pug.height, pug.format) == (4032, 3024, "HEIF")
    assert pug.pixels.shape == (96, 128, 3)
    # A light wall at the top left, a dark floor at the bottom right.
    assert pug.pixels[:10, :10].mean() > 170
    assert pug.pixels[-10:, -10:].mean() < 80

    for name in ("pillow__rot1mir0.avif", "pillow__rot3mir1.avif"):
        avif = decode_image(BAD_IMAGES / name, max_side=128)
        assert (avif.width, avif.height) == (640, 427), name
        # Upright: the sky (light blue) on top, the field (green, dark) below.
        top = avif.pixels[:8].reshape(-1, 3).mean(0)
        bottom = avif.pixels[-8:].reshape(-1, 3).mean(0)
        assert top[2] > 180 and top[2] > top[0], name
        assert bottom.mean() < 110, name
    assert _mean_difference(_decoded("pillow__rot1mir0.avif", 128)[20:-20],
                            _decoded("pillow__rot3mir1.avif", 128)[20:-20]) < 12


def test_a_real_200_megapixel_photo_passes_the_bomb_limit() -> None:
    decoded = decode_image(BAD_IMAGES / "heif__200MP.heic", max_side=256)
    assert decoded.width * decoded.height == 199_756_800
    assert decoded.width * decoded.height < MAX_PIXELS
    assert max(decoded.pixels.shape[:2]) == 256


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("pillow__decompression_bomb.gif", "4,365 megapixels"),
        ("pillow__reallybig.bmp", "6,000,000 megapixels"),
        ("pillow__oom-8ed3316a4109213ca96fb8a256a0bfefdece1461.icns", "259,635 megapixels"),
    ],
)
def test_absurd_image_headers_are_refused(name: str, reason: str) -> None:
    with pytest.raises(ImageDecodeError) as caught:
        decode_image(BAD_IMAGES / name)
    assert caught.value.reason == f"image is {reason}, over the 250-megapixel limit"


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` RGB pixels and holds no pixel data at all."""
    import struct
    import zlib

    ihdr = b"IHDR" + struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + ihdr
            + struct.pack(">I", zlib.crc32(ihdr)) + b"\x00\x00\x00\x00IEND\xaeB`\x82")


def test_the_limit_lies_between_a_real_photo_and_an_absurd_header() -> None:
    with pytest.raises(ImageDecodeError) as over:
        decode_image(_png_header_only(20000, 13000), name="huge.png")
    assert str(over.value) == (
        "Can't read huge.png: image is 260 megapixels, over the 250-megapixel limit"
    )
    with pytest.raises(ImageDecodeError) as barely:
        decode_image(_png_header_only(20000, 12501), name="barely.png")
    assert barely.value.reason == "image is 250.02 megapixels, over the 250-megapixel limit"
    # 248 MP is let through the size check; it then fails for want of pixel data.
    with pytest.raises(ImageDecodeError) as under:
        decode_image(_png_header_only(20000, 12400), name="big.png")
    assert "megapixel" not in under.value.reason
