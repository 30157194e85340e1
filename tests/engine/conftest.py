"""Fixtures for the engine tests: one shared engine, fresh contexts, real photos, edited copies.

Starting worker processes costs a second or two (they import numpy, OpenCV and Pillow), so most
tests share one :class:`Engine` for the package and get a fresh search context each; the tests that
need their own settings (timeouts, a second engine on the same data) build their own.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lookalike.engine import Engine
from tests.support import photos
from tests.support.edits import edited_jpeg


@pytest.fixture(scope="package")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    # Package scope: its workers must be gone before tests elsewhere count worker processes.
    with Engine(tmp_path_factory.mktemp("engine-data"), workers=2, task_timeout=30) as shared:
        yield shared


@pytest.fixture
def context(engine: Engine) -> Iterator[str]:
    """A new, empty search context, deleted after the test."""
    context_id = engine.create_context()
    yield context_id
    if context_id in engine.context_ids():
        engine.delete_context(context_id)


@pytest.fixture(scope="session")
def mate_wallpapers(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Debian's mate-backgrounds, fetched once into pytest's cache (not committed: GPL)."""
    cache = getattr(pytestconfig, "cache", None)  # None when run with -p no:cacheprovider
    folder = cache.mkdir("mate-backgrounds") if cache else tmp_path_factory.mktemp("wallpapers")
    return photos.wallpapers(folder)


@pytest.fixture(scope="session")
def real_photos(mate_wallpapers: Path) -> list[Path]:
    return photos.real_photos(mate_wallpapers)


@pytest.fixture(scope="session")
def temples() -> Path:
    return photos.ASPOSE_EXAMPLES / "FindSimilar"


@pytest.fixture(scope="session")
def aspose() -> Path:
    return photos.ASPOSE_EXAMPLES


@pytest.fixture(scope="session")
def bad_images() -> Path:
    return photos.BAD_IMAGES


def edit_of(path: Path, edit: str) -> bytes:
    """The JPEG bytes of an edited copy of the photo at ``path``."""
    with Image.open(path) as im:
        return edited_jpeg(im, edit)


def jpeg_bytes(pixels: np.ndarray | Image.Image, quality: int = 92) -> bytes:
    image = pixels if isinstance(pixels, Image.Image) else Image.fromarray(pixels)
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def copy_tree(files: list[Path], folder: Path) -> Path:
    """Copy ``files`` into ``folder`` (flat) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.copy2(path, folder / path.name)
    return folder
