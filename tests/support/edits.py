"""Edited copies of real photos, as people make them: the cases the engine must still match.

Shared by the engine tests and the retrieval-quality benchmark, so both judge the same edits.
"""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for name in ("DejaVuSans-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def resize_30(im: Image.Image) -> Image.Image:
    return im.resize((max(1, round(im.width * 0.3)), max(1, round(im.height * 0.3))),
                     Image.Resampling.LANCZOS)


def jpeg_20(im: Image.Image) -> Image.Image:
    """Marked by the saver: the caller saves this one at quality 20."""
    return im.copy()


def rotate_15(im: Image.Image) -> Image.Image:
    return im.rotate(15, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255))


def rotate_minus_8(im: Image.Image) -> Image.Image:
    return im.rotate(-8, resample=Image.Resampling.BICUBIC, expand=False)


def flip(im: Image.Image) -> Image.Image:
    return im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def blur(im: Image.Image) -> Image.Image:
    return im.filter(ImageFilter.GaussianBlur(radius=max(im.size) / 400))


def brighter(im: Image.Image) -> Image.Image:
    return ImageEnhance.Brightness(im).enhance(1.4)


def darker_low_contrast(im: Image.Image) -> Image.Image:
    return ImageEnhance.Contrast(ImageEnhance.Brightness(im).enhance(0.7)).enhance(0.6)


def more_contrast(im: Image.Image) -> Image.Image:
    return ImageEnhance.Contrast(im).enhance(1.6)


def text_overlay(im: Image.Image) -> Image.Image:
    out = im.copy()
    draw = ImageDraw.Draw(out)
    size = max(12, im.height // 12)
    font = _font(size)
    for row, line in enumerate(("HOLIDAY 2026", "© Lookalike photo")):
        y = im.height // 8 + row * int(size * 1.9)
        draw.text((im.width // 12, y), line, fill=(255, 255, 255), font=font,
                  stroke_width=max(1, size // 12), stroke_fill=(0, 0, 0))
    return out


def logo_overlay(im: Image.Image) -> Image.Image:
    out = im.copy()
    draw = ImageDraw.Draw(out)
    side = im.width // 5
    x0, y0 = im.width - side - im.width // 20, im.height - side - im.height // 20
    draw.rounded_rectangle((x0, y0, x0 + side, y0 + side), radius=side // 6, fill=(200, 30, 40))
    draw.ellipse((x0 + side // 5, y0 + side // 5, x0 + 4 * side // 5, y0 + 4 * side // 5),
                 fill=(255, 255, 255))
    draw.text((x0 + side // 3, y0 + side // 3), "L", fill=(200, 30, 40), font=_font(side // 3))
    return out


def _crop(im: Image.Image, share: float, anchor_x: float, anchor_y: float) -> Image.Image:
    w, h = round(im.width * share), round(im.height * share)
    x0 = round((im.width - w) * anchor_x)
    y0 = round((im.height - h) * anchor_y)
    return im.crop((x0, y0, x0 + w, y0 + h))


def crop_80(im: Image.Image) -> Image.Image:
    return _crop(im, 0.8, 0.5, 0.5)


def crop_70_corner(im: Image.Image) -> Image.Image:
    return _crop(im, 0.7, 0.0, 1.0)


def crop_60(im: Image.Image) -> Image.Image:
    return _crop(im, 0.6, 0.3, 0.4)


# Name -> (edit, JPEG quality to save at, the least score the issue asks for)
EDITS: dict[str, tuple[Callable[[Image.Image], Image.Image], int, int]] = {
    "resize_30": (resize_30, 90, 70),
    "jpeg_20": (jpeg_20, 20, 70),
    "rotate_15": (rotate_15, 90, 70),
    "rotate_minus_8": (rotate_minus_8, 90, 70),
    "flip": (flip, 90, 70),
    "blur": (blur, 90, 70),
    "brighter": (brighter, 90, 70),
    "darker_low_contrast": (darker_low_contrast, 90, 70),
    "more_contrast": (more_contrast, 90, 70),
    "text_overlay": (text_overlay, 90, 70),
    "logo_overlay": (logo_overlay, 90, 70),
    "crop_80": (crop_80, 90, 60),
    "crop_70_corner": (crop_70_corner, 90, 60),
    "crop_60": (crop_60, 90, 60),
}


def edited_jpeg(im: Image.Image, edit: str) -> bytes:
    """The edited copy as JPEG bytes, the way it would sit on disk."""
    import io

    function, quality, _ = EDITS[edit]
    out = io.BytesIO()
    function(im.convert("RGB")).save(out, "JPEG", quality=quality)
    return out.getvalue()
