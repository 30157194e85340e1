"""Aspose's ``imaging/ai/imageSearch`` operations, routed onto the engine.

Paths, query names and answers follow what the official SDK (aspose-imaging-cloud 25.4) sends and
reads. Image data comes as the multipart file ``imageData`` or as the raw body; ``tags`` as a
multipart field holding a JSON array or as a JSON array body. Aspose's ``folder`` and ``storage``
query parameters name places in Aspose's cloud storage; this service has one storage root and
ignores them.

Engine calls block (decoding, keypoint matching), so they run in worker threads, never on the
event loop.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import logging
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path as FilePath
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import APIRouter, Path, Query, Request, Response

from lookalike.engine import Engine, ImageDecodeError, ImageNotFoundError, ImageRef
from lookalike.engine import SearchResult as EngineResult
from lookalike.engine.features import ImageFeatures as EngineFeatures
from lookalike.service.bodies import Upload, read_tags, read_upload
from lookalike.service.downloads import bytes_download
from lookalike.service.errors import ApiError
from lookalike.service.models import (
    ErrorResponse,
    FailureModel,
    ImageDuplicates,
    ImageDuplicatesSet,
    ImageFeatures,
    ImageIdsList,
    ProgressModel,
    SearchContextStatus,
    SearchResult,
    SearchResultsSet,
    TagModel,
    TagsList,
)
from lookalike.service.storage import StorageNotFoundError, StorageRoot, clean_image_id

log = logging.getLogger(__name__)

T = TypeVar("T")

# ORB descriptors: 32 bytes each.
FEATURE_LENGTH_IN_BITS = 256
UPLOADED = "imageData"
# The official SDK sends no body with a GET, so its image_data never arrives on these routes.
MISSING_GET_IMAGE = ("Missing query parameter 'imageId' (or image data; some clients, the "
                     "official SDK among them, drop the body of a GET request: give imageId, "
                     "or upload the image to storage first)")
# Context ids are UUIDs; anything much longer is a mistake not worth echoing back.
MAX_CONTEXT_ID_LENGTH = 200

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (400, 401, 404, 409, 413)
}

_BINARY = {"type": "string", "format": "binary"}
IMAGE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": False,
        "description": "The image, as the multipart file imageData or as the raw body",
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"imageData": _BINARY}}
            },
            "application/octet-stream": {"schema": _BINARY},
        },
    }
}
TAGS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "Tag names: a multipart field holding a JSON array, or a JSON array body",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"tags": {"type": "string", "example": '["temple"]'}},
                    "required": ["tags"],
                }
            },
            "application/json": {"schema": {"type": "array", "items": {"type": "string"}}},
        },
    }
}

ContextId = Annotated[str, Path(alias="searchContextId", max_length=MAX_CONTEXT_ID_LENGTH,
                                description="Search context id")]
ImageId = Annotated[str, Query(alias="imageId", description="Image id: a path in storage")]
OptionalImageId = Annotated[
    str | None, Query(alias="imageId", description="Image id: a path in storage")
]
Threshold = Annotated[float, Query(alias="similarityThreshold", ge=0, le=100,
                                   allow_inf_nan=False,
                                   description="Minimum similarity, 0-100")]
MaxCount = Annotated[int, Query(alias="maxCount", ge=1, le=100_000,
                                description="Most results to return")]


async def in_thread(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking engine or file call in a worker thread, off the event loop."""
    return await anyio.to_thread.run_sync(functools.partial(function, *args, **kwargs))


def status_model(engine: Engine, storage: StorageRoot, context_id: str) -> SearchContextStatus:
    """The status with failed files named from the storage root, as clients name them."""
    status = engine.status(context_id)
    progress = status.progress
    return SearchContextStatus(
        id=status.context_id,
        search_status=str(status.status),
        progress=ProgressModel(
            done=progress.done, total=progress.total, skipped=progress.skipped,
            cancelled=progress.cancelled,
            failed=[FailureModel(source=storage.client_path(f.source), reason=f.reason)
                    for f in progress.failed],
        ),
    )


def results_model(results: list[EngineResult]) -> SearchResultsSet:
    return SearchResultsSet(
        results=[SearchResult(image_id=r.image_id, similarity=r.similarity) for r in results]
    )


def features_model(image_id: str | None, blob: bytes) -> ImageFeatures:
    features = EngineFeatures.from_bytes(blob)
    return ImageFeatures(
        image_id=image_id or "",
        features_count=len(features.keypoints) + len(features.mirror_keypoints),
        feature_length_in_bits=FEATURE_LENGTH_IN_BITS,
        features=base64.b64encode(blob).decode("ascii"),
    )


@contextlib.contextmanager
def naming_images(names: dict[str, str]) -> Iterator[None]:
    """Name images in decode errors as the client named them.

    The engine calls image bytes "the query image", "the first image" and so on; ``names`` maps
    those words to the image id or uploaded file name the client sent. Other errors pass as they
    are (they already name an image id).
    """
    try:
        yield
    except ImageDecodeError as exc:
        if exc.source not in names:
            raise
        raise ApiError(400, f"Can't read {names[exc.source]}: {exc.reason}") from None


def describe(raw_id: str | None, field: str, upload: Upload | None = None) -> str:
    """How an error names an image: by its id and parameter, or as the uploaded file."""
    if upload is not None:
        named = f" {upload.filename!r}" if upload.filename else ""
        return f"the uploaded image{named} (imageData)"
    return f"image {raw_id!r} ({field})"


def both_given(id_field: str, purpose: str) -> str:
    """The 400 message for an image named by id and also sent as data: answering for one of
    them would label a score or features with the other's name."""
    return (f"Give {id_field} or image data ({UPLOADED}), not both: it is not clear which of "
            f"the two to {purpose}")


def clean_tag_name(raw: str, field: str = "tagName") -> str:
    """A tag name without surrounding spaces, and with nothing invisible or misleading in it.

    " temple " would otherwise be a second tag next to "temple"; zero-width and direction
    characters (Unicode format characters) make tags that look like others in the UI.
    """
    name = raw.strip()
    hidden = sorted({f"U+{ord(c):04X}" for c in name if unicodedata.category(c) == "Cf"})
    if hidden:
        raise ApiError(400, f"{field} {raw[:100]!r} has invisible formatting characters "
                       f"({', '.join(hidden[:5])}): use visible characters only")
    return name


class SearchOperations:
    """The operations' logic, between the HTTP parameters and the engine."""

    def __init__(self, engine: Engine, storage: StorageRoot) -> None:
        self.engine = engine
        self.storage = storage

    def query_ref(self, context_id: str, raw_id: str, field: str) -> ImageRef:
        """An image id of the context (with features), else the bytes of that file in storage."""
        image_id = clean_image_id(raw_id, field=field)
        try:
            if self.engine.get_image(context_id, image_id).has_features:
                return image_id
        except ImageNotFoundError:
            pass
        try:
            path = self.storage.image_file(image_id, field=field)
        except StorageNotFoundError:
            raise ApiError(
                404, f"Image {raw_id!r} ({field}) is neither in the search context nor in storage"
            ) from None
        return path.read_bytes()

    def add(self, context_id: str, raw_id: str | None, upload: Upload | None,
            *, update: bool) -> None:
        """Add or update one image: uploaded data, else the storage file its id names."""
        image_id = self.image_id_for(raw_id, upload)
        method = self.engine.update_image if update else self.engine.add_image
        if upload is not None:
            method(context_id, image_id, data=upload.data)
        else:  # named by id alone (image_id_for refused neither): messages show it as sent
            method(context_id, image_id, path=self.storage.image_file(raw_id or image_id))

    @staticmethod
    def image_id_for(raw_id: str | None, upload: Upload | None) -> str:
        if raw_id:
            return clean_image_id(raw_id)
        if upload is not None and upload.filename:
            return clean_image_id(upload.filename, field="imageData file name")
        raise ApiError(400, "Missing query parameter 'imageId'")

    def add_tag(self, context_id: str, tag_name: str, upload: Upload) -> None:
        engine_name = f"the reference image of tag {tag_name!r}"
        reference = f"{describe(None, 'imageData', upload)}, the reference of tag {tag_name!r}"
        with naming_images({engine_name: reference}):
            self.engine.add_tag(context_id, tag_name, upload.data)

    def extract_folder(self, context_id: str, raw_folder: str) -> None:
        folder, prefix = self.storage.image_folder(raw_folder)
        self.engine.extract_folder(context_id, folder, id_prefix=prefix)
        log.info("context %s: extracting features of folder %r", context_id, raw_folder)

    def image2features(self, context_id: str, raw_id: str | None,
                       upload: Upload | None) -> ImageFeatures:
        self.engine.status(context_id)  # 404 for an unknown context, as Aspose answers
        if upload is not None:
            name = raw_id or upload.filename or UPLOADED
            return features_model(raw_id, self.engine.image_features(upload.data, name))
        if not raw_id:
            raise ApiError(400, MISSING_GET_IMAGE)
        path = self.storage.image_file(raw_id)
        return features_model(raw_id, self.engine.image_features(path.read_bytes(), raw_id))

    def compare(self, context_id: str, raw_id1: str, raw_id2: str | None,
                upload: Upload | None) -> SearchResultsSet:
        if upload is not None and raw_id2:
            raise ApiError(400, both_given("imageId2", "compare with imageId1"))
        first = self.query_ref(context_id, raw_id1, "imageId1")
        if upload is not None:
            second: ImageRef = upload.data
            second_id = raw_id2 or upload.filename or UPLOADED
        elif raw_id2:
            second = self.query_ref(context_id, raw_id2, "imageId2")
            second_id = raw_id2
        else:
            raise ApiError(400, "Missing query parameter 'imageId2' (or image data)")
        names = {"the first image": describe(raw_id1, "imageId1"),
                 "the second image": describe(raw_id2, "imageId2", upload)}
        with naming_images(names):
            score = self.engine.compare(context_id, first, second)
        return SearchResultsSet(results=[SearchResult(image_id=second_id, similarity=score)])

    def find_similar(self, context_id: str, raw_id: str | None, upload: Upload | None,
                     threshold: float, max_count: int) -> SearchResultsSet:
        if upload is not None and raw_id:
            raise ApiError(400, both_given("imageId", "search with"))
        if upload is not None:
            query: ImageRef = upload.data
        elif raw_id:
            query = self.query_ref(context_id, raw_id, "imageId")
        else:
            raise ApiError(400, MISSING_GET_IMAGE)
        with naming_images({"the query image": describe(raw_id, "imageId", upload)}):
            results = self.engine.find_similar(
                context_id, query, threshold=threshold, max_count=max_count
            )
        return results_model(results)


def search_router(engine: Engine, storage: StorageRoot) -> APIRouter:
    """Every imageSearch operation, plus Lookalike's tag and image listings."""
    ops = SearchOperations(engine, storage)
    router = APIRouter(prefix="/imaging/ai/imageSearch", tags=["imageSearch"], responses=ERRORS)

    # Search contexts ---------------------------------------------------------------------------

    @router.post("/create", operation_id="create_image_search",
                 summary="Create a search context")
    def create_image_search() -> SearchContextStatus:
        return status_model(engine, storage, engine.create_context())

    @router.get("/{searchContextId}/status", operation_id="get_image_search_status",
                summary="A search context's status, and the progress of its extraction")
    def get_image_search_status(context_id: ContextId) -> SearchContextStatus:
        return status_model(engine, storage, context_id)

    @router.delete("/{searchContextId}", operation_id="delete_image_search",
                   summary="Delete a search context")
    def delete_image_search(context_id: ContextId) -> Response:
        engine.delete_context(context_id)
        return Response()

    # Images ------------------------------------------------------------------------------------

    @router.post("/{searchContextId}/image", operation_id="add_search_image",
                 summary="Add an image (uploaded, or the storage file imageId) and its features",
                 openapi_extra=IMAGE_BODY)
    async def add_search_image(
        request: Request, context_id: ContextId, image_id: OptionalImageId = None
    ) -> Response:
        upload = await read_upload(request)
        await in_thread(ops.add, context_id, image_id, upload, update=False)
        return Response()

    @router.put("/{searchContextId}/image", operation_id="update_search_image",
                summary="Replace an image of the context and its features",
                openapi_extra=IMAGE_BODY)
    async def update_search_image(
        request: Request, context_id: ContextId, image_id: ImageId
    ) -> Response:
        upload = await read_upload(request)
        await in_thread(ops.add, context_id, image_id, upload, update=True)
        return Response()

    @router.get("/{searchContextId}/image", operation_id="get_search_image",
                summary="An image of the context (as uploaded, or its file)",
                response_class=Response,
                responses={200: {"content": {"application/octet-stream": {"schema": _BINARY}}}})
    def get_search_image(context_id: ContextId, image_id: ImageId) -> Response:
        clean_id = clean_image_id(image_id)
        source = engine.get_image(context_id, clean_id).source_path
        if source is not None and not storage.is_inside(FilePath(source)):
            # The file was swapped for a link since it was indexed.
            raise ApiError(400, f"Image {image_id!r} now leads outside the storage root")
        try:
            data = engine.read_image(context_id, clean_id)
        except ImageDecodeError:
            if source is not None and not FilePath(source).exists():
                raise ApiError(404, f"Image {image_id!r}: its file is no longer in storage "
                               "(moved or deleted); index its folder again to forget it"
                               ) from None
            raise
        return bytes_download(clean_id, data)

    @router.delete("/{searchContextId}/image", operation_id="delete_search_image",
                   summary="Remove an image and its features from the context")
    def delete_search_image(context_id: ContextId, image_id: ImageId) -> Response:
        engine.delete_image(context_id, clean_image_id(image_id))
        return Response()

    @router.get("/{searchContextId}/images", operation_id="list_search_images",
                summary="Lookalike's extension: the ids of the context's images")
    def list_search_images(context_id: ContextId) -> ImageIdsList:
        return ImageIdsList(image_ids=engine.image_ids(context_id))

    # Features ----------------------------------------------------------------------------------

    @router.post("/{searchContextId}/features", operation_id="create_image_features",
                 summary="Extract features: of one image, or of a whole folder in the background",
                 description="With imagesFolder the work runs in the background: the context "
                 "reports InProgress from the moment this request is answered until it is done.",
                 openapi_extra=IMAGE_BODY)
    async def create_image_features(
        request: Request,
        context_id: ContextId,
        image_id: OptionalImageId = None,
        images_folder: Annotated[str | None, Query(alias="imagesFolder")] = None,
    ) -> Response:
        upload = await read_upload(request)
        if images_folder is not None and upload is None:
            await in_thread(ops.extract_folder, context_id, images_folder)
        else:
            await in_thread(ops.add, context_id, image_id, upload, update=False)
        return Response()

    @router.put("/{searchContextId}/features", operation_id="update_image_features",
                summary="Extract an image's features again", openapi_extra=IMAGE_BODY)
    async def update_image_features(
        request: Request, context_id: ContextId, image_id: ImageId
    ) -> Response:
        upload = await read_upload(request)
        await in_thread(ops.add, context_id, image_id, upload, update=True)
        return Response()

    @router.get("/{searchContextId}/features", operation_id="get_image_features",
                summary="An image's features as the context keeps them")
    def get_image_features(context_id: ContextId, image_id: ImageId) -> ImageFeatures:
        clean_id = clean_image_id(image_id)
        return features_model(clean_id, engine.features_blob(context_id, clean_id))

    @router.delete("/{searchContextId}/features", operation_id="delete_image_features",
                   summary="Forget an image's features (it is no longer found)")
    def delete_image_features(context_id: ContextId, image_id: ImageId) -> Response:
        engine.delete_features(context_id, clean_image_id(image_id))
        return Response()

    @router.post("/{searchContextId}/features/web", operation_id="create_web_site_image_features",
                 summary="Not offered: this service never downloads from the web",
                 status_code=501, include_in_schema=False)
    def create_web_site_image_features(context_id: ContextId) -> Response:
        raise ApiError(501, "This service works offline: it does not fetch images from web "
                       "sites; upload them to storage and use imagesFolder instead")

    @router.get("/{searchContextId}/image2features", operation_id="extract_image_features",
                summary="Features of an image, without adding it", openapi_extra=IMAGE_BODY)
    async def extract_image_features(
        request: Request, context_id: ContextId, image_id: OptionalImageId = None
    ) -> ImageFeatures:
        upload = await read_upload(request)
        return await in_thread(ops.image2features, context_id, image_id, upload)

    # Searches ----------------------------------------------------------------------------------

    @router.post("/{searchContextId}/compare", operation_id="compare_images",
                 summary="Similarity of imageId1 with imageId2 or with the uploaded image",
                 openapi_extra=IMAGE_BODY)
    async def compare_images(
        request: Request,
        context_id: ContextId,
        image_id1: Annotated[str, Query(alias="imageId1")],
        image_id2: Annotated[str | None, Query(alias="imageId2")] = None,
    ) -> SearchResultsSet:
        upload = await read_upload(request)
        return await in_thread(ops.compare, context_id, image_id1, image_id2, upload)

    @router.get("/{searchContextId}/findSimilar", operation_id="find_similar_images",
                summary="Images that look like imageId or like the uploaded image, best first",
                openapi_extra=IMAGE_BODY)
    async def find_similar_images(
        request: Request,
        context_id: ContextId,
        threshold: Threshold,
        max_count: MaxCount,
        image_id: OptionalImageId = None,
    ) -> SearchResultsSet:
        upload = await read_upload(request)
        return await in_thread(ops.find_similar, context_id, image_id, upload, threshold,
                               max_count)

    @router.get("/{searchContextId}/findDuplicates", operation_id="find_image_duplicates",
                summary="Groups of near-duplicate images")
    def find_image_duplicates(context_id: ContextId, threshold: Threshold) -> ImageDuplicatesSet:
        groups = engine.find_duplicates(context_id, threshold=threshold)
        return ImageDuplicatesSet(duplicates=[
            ImageDuplicates(duplicate_images=results_model(group).results) for group in groups
        ])

    # Tags --------------------------------------------------------------------------------------

    @router.post("/{searchContextId}/addTag", operation_id="create_image_tag",
                 summary="Make the uploaded image a reference of tagName",
                 openapi_extra=IMAGE_BODY)
    async def create_image_tag(
        request: Request,
        context_id: ContextId,
        tag_name: Annotated[str, Query(alias="tagName", min_length=1)],
    ) -> Response:
        upload = await read_upload(request)
        if upload is None:
            raise ApiError(400, f"Missing the reference image of tag {tag_name!r}: send it as "
                           "imageData")
        await in_thread(ops.add_tag, context_id, clean_tag_name(tag_name), upload)
        return Response()

    @router.post("/{searchContextId}/findByTags", operation_id="find_images_by_tags",
                 summary="Images like the reference images of the tags, best first",
                 openapi_extra=TAGS_BODY)
    async def find_images_by_tags(
        request: Request,
        context_id: ContextId,
        threshold: Threshold,
        max_count: MaxCount,
        match_all: Annotated[bool, Query(
            alias="matchAll", description="Lookalike's extension: an image must match every tag"
        )] = False,
    ) -> SearchResultsSet:
        tags = [clean_tag_name(tag, "tags") for tag in await read_tags(request)]
        results = await in_thread(engine.find_by_tags, context_id, tags, threshold=threshold,
                                  max_count=max_count, match_all=match_all)
        return results_model(results)

    @router.get("/{searchContextId}/tags", operation_id="list_image_tags",
                summary="Lookalike's extension: the context's tags and their reference counts")
    def list_image_tags(context_id: ContextId) -> TagsList:
        return TagsList(tags=[
            TagModel(name=tag.name, reference_count=tag.reference_count)
            for tag in engine.tags(context_id)
        ])

    @router.post("/{searchContextId}/features/cancel", operation_id="cancel_image_features",
                 summary="Lookalike's extension: stop a folder extraction that is running",
                 description="Images indexed so far stay indexed; the status then reports the "
                 "progress with cancelled set. Nothing happens when no extraction runs.")
    def cancel_image_features(context_id: ContextId) -> Response:
        engine.cancel(context_id)
        return Response()

    return router
