"""Search contexts and images through the engine's API, and that they survive a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookalike.engine import (
    ContextNotFoundError,
    Engine,
    ImageDecodeError,
    ImageInfo,
    ImageNotFoundError,
    InvalidArgumentError,
    SearchStatus,
)
from tests.engine.conftest import edit_of


def test_a_context_is_created_reported_and_deleted(engine: Engine) -> None:
    context_id = engine.create_context()
    assert context_id in engine.context_ids()
    status = engine.status(context_id)
    assert status.context_id == context_id
    assert status.status == SearchStatus.IDLE == "Idle"
    assert (status.progress.done, status.progress.total, status.progress.failed) == (0, 0, ())

    engine.delete_context(context_id)
    assert context_id not in engine.context_ids()
    assert list(engine.data_dir.glob(f"{context_id}*")) == []
    with pytest.raises(ContextNotFoundError, match=context_id):
        engine.status(context_id)
    with pytest.raises(ContextNotFoundError):
        engine.delete_context(context_id)


@pytest.mark.parametrize("bad_id", ["no-such-context", "../etc/passwd", "", "a" * 65])
def test_an_unknown_context_is_not_found(engine: Engine, bad_id: str) -> None:
    with pytest.raises(ContextNotFoundError):
        engine.image_ids(bad_id)


def test_contexts_are_independent(engine: Engine, context: str, temples: Path) -> None:
    other = engine.create_context()
    try:
        engine.add_image(context, "1.jpg", path=temples / "1.jpg")
        assert engine.image_ids(context) == ["1.jpg"]
        assert engine.image_ids(other) == []
        assert engine.find_similar(other, (temples / "1.jpg").read_bytes()) == []
        with pytest.raises(ImageNotFoundError):
            engine.get_image(other, "1.jpg")
    finally:
        engine.delete_context(other)


def test_add_get_read_update_delete_from_a_path(
    engine: Engine, context: str, temples: Path
) -> None:
    info = engine.add_image(context, "FindSimilar/1.jpg", path=temples / "1.jpg")
    assert info == ImageInfo("FindSimilar/1.jpg", str(temples / "1.jpg"), 256, 384, True)
    assert engine.get_image(context, "FindSimilar/1.jpg") == info
    assert engine.read_image(context, "FindSimilar/1.jpg") == (temples / "1.jpg").read_bytes()

    updated = engine.update_image(context, "FindSimilar/1.jpg", path=temples / "3.jpg")
    assert updated.source_path == str(temples / "3.jpg")
    assert engine.read_image(context, "FindSimilar/1.jpg") == (temples / "3.jpg").read_bytes()
    # The features follow the new picture: the image now is 3.jpg for a search.
    found = engine.find_similar(context, (temples / "3.jpg").read_bytes(), threshold=90)
    assert [r.image_id for r in found] == ["FindSimilar/1.jpg"]

    engine.delete_image(context, "FindSimilar/1.jpg")
    assert engine.image_ids(context) == []
    with pytest.raises(ImageNotFoundError, match=r"FindSimilar/1.jpg"):
        engine.get_image(context, "FindSimilar/1.jpg")
    with pytest.raises(ImageNotFoundError):
        engine.delete_image(context, "FindSimilar/1.jpg")


def test_add_update_and_read_from_bytes(engine: Engine, context: str, temples: Path) -> None:
    small = edit_of(temples / "4.jpg", "resize_30")
    info = engine.add_image(context, "uploads/four.jpg", data=small)
    assert info == ImageInfo("uploads/four.jpg", None, 115, 77, True)
    assert engine.read_image(context, "uploads/four.jpg") == small

    original = (temples / "4.jpg").read_bytes()
    assert engine.update_image(context, "uploads/four.jpg", data=original).width == 384
    assert engine.read_image(context, "uploads/four.jpg") == original
    assert engine.image_ids(context) == ["uploads/four.jpg"]


def test_updating_a_missing_image_is_not_found(engine: Engine, context: str, temples: Path
                                               ) -> None:
    with pytest.raises(ImageNotFoundError, match=r"ghost.jpg"):
        engine.update_image(context, "ghost.jpg", path=temples / "1.jpg")
    assert engine.image_ids(context) == []


def test_bad_image_arguments_are_refused_with_the_reason(
    engine: Engine, context: str, temples: Path, tmp_path: Path
) -> None:
    with pytest.raises(InvalidArgumentError):
        engine.add_image(context, "both.jpg", path=temples / "1.jpg", data=b"x")
    with pytest.raises(InvalidArgumentError):
        engine.add_image(context, "neither.jpg")
    for bad_id in ("", "tab\there.jpg", "x" * 1025):
        with pytest.raises(InvalidArgumentError):
            engine.add_image(context, bad_id, path=temples / "1.jpg")

    with pytest.raises(ImageDecodeError) as caught:
        engine.add_image(context, "notes.jpg", data=b"this is not a picture")
    assert str(caught.value) == "Can't read notes.jpg: not an image (unrecognised format)"
    with pytest.raises(ImageDecodeError) as empty:
        engine.add_image(context, "empty.jpg", data=b"")
    assert empty.value.reason == "no image data was sent"
    with pytest.raises(ImageNotFoundError):
        engine.add_image(context, "gone.jpg", path=tmp_path / "gone.jpg")
    assert engine.image_ids(context) == []


def test_features_are_read_and_deleted_but_the_image_stays(
    engine: Engine, context: str, temples: Path
) -> None:
    for name in ("1.jpg", "3.jpg"):
        engine.add_image(context, name, path=temples / name)
    blob = engine.features_blob(context, "1.jpg")
    assert blob == engine.image_features((temples / "1.jpg").read_bytes())
    query = (temples / "1.jpg").read_bytes()
    assert [r.image_id for r in engine.find_similar(context, query, threshold=90)] == ["1.jpg"]

    engine.delete_features(context, "1.jpg")
    assert engine.get_image(context, "1.jpg").has_features is False
    assert engine.image_ids(context) == ["1.jpg", "3.jpg"]
    with pytest.raises(ImageNotFoundError):
        engine.features_blob(context, "1.jpg")
    assert engine.find_similar(context, query, threshold=90) == []
    # Extracting again brings it back.
    engine.update_image(context, "1.jpg", path=temples / "1.jpg")
    assert engine.features_blob(context, "1.jpg") == blob


def test_everything_survives_a_new_engine_on_the_same_data(
    tmp_path: Path, temples: Path, aspose: Path
) -> None:
    query = (aspose / "ComparableImage.jpg").read_bytes()
    with Engine(tmp_path, workers=1) as first:
        context_id = first.create_context()
        first.add_image(context_id, "FindSimilar/2.jpg", path=temples / "2.jpg")
        first.add_image(context_id, "upload.jpg", data=(temples / "5.jpg").read_bytes())
        first.add_tag(context_id, "Temple", query)
        before = first.find_similar(context_id, query)
        tagged = first.find_by_tags(context_id, ["Temple"])

    with Engine(tmp_path, workers=1) as second:
        assert second.context_ids() == [context_id]
        assert second.image_ids(context_id) == ["FindSimilar/2.jpg", "upload.jpg"]
        assert second.read_image(context_id, "upload.jpg") == (temples / "5.jpg").read_bytes()
        assert second.find_similar(context_id, query) == before
        assert before[0].image_id == "FindSimilar/2.jpg" and before[0].similarity >= 99
        assert [(t.name, t.reference_count) for t in second.tags(context_id)] == [("Temple", 1)]
        assert second.find_by_tags(context_id, ["Temple"]) == tagged
        assert second.status(context_id).status == SearchStatus.IDLE
        second.delete_context(context_id)
        assert second.context_ids() == []


def test_requests_racing_a_delete_see_the_context_gone(engine: Engine, temples: Path) -> None:
    """Searches and additions running while a context is deleted either finish or get
    ContextNotFoundError; a second delete at the same time gets it too. Nothing else escapes."""
    import threading

    context_id = engine.create_context()
    engine.add_image(context_id, "3.jpg", path=temples / "3.jpg")
    query = (temples / "3.jpg").read_bytes()
    outcomes: list[str] = []
    stop = threading.Event()

    def keep_busy(turn: int) -> None:
        while not stop.is_set():
            try:
                if turn % 2:
                    engine.add_image(context_id, f"up{turn}.jpg", data=query)
                else:
                    engine.find_similar(context_id, query)
                outcomes.append("ok")
            except ContextNotFoundError:
                outcomes.append("gone")
                return

    def delete() -> None:
        try:
            engine.delete_context(context_id)
            outcomes.append("deleted")
        except ContextNotFoundError:
            outcomes.append("already gone")

    workers = [threading.Thread(target=keep_busy, args=(turn,)) for turn in range(4)]
    for worker in workers:
        worker.start()
    deleters = [threading.Thread(target=delete) for _ in range(2)]
    for deleter in deleters:
        deleter.start()
    for thread in deleters:
        thread.join(60)
    stop.set()
    for worker in workers:
        worker.join(60)

    assert outcomes.count("deleted") == 1
    assert outcomes.count("already gone") == 1
    assert outcomes.count("gone") == 4
    assert context_id not in engine.context_ids()
    with pytest.raises(ContextNotFoundError):
        engine.status(context_id)
