"""JSON bodies of Aspose.Imaging Cloud's v3.0 API, field for field, plus Lookalike's extensions.

Aspose's SDK reads camelCase keys ("searchStatus", "imageId"), so every model serialises by
alias. Extensions only add fields or whole new bodies; they never rename or drop Aspose's.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class AsposeModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


# Search contexts -----------------------------------------------------------------------------


class FailureModel(AsposeModel):
    """A file the background extraction could not index (Lookalike's extension)."""

    source: str
    reason: str


class ProgressModel(AsposeModel):
    """How far the background extraction has come (Lookalike's extension)."""

    done: int
    total: int
    failed: list[FailureModel]
    skipped: int
    cancelled: bool


class SearchContextStatus(AsposeModel):
    id: str
    search_status: str = Field(description='"Idle" or "InProgress"')
    progress: ProgressModel | None = Field(
        default=None, description="Lookalike's extension: the background extraction's progress"
    )


class SearchResult(AsposeModel):
    image_id: str
    similarity: float = Field(description="0-100")


class SearchResultsSet(AsposeModel):
    results: list[SearchResult]


class ImageDuplicates(AsposeModel):
    duplicate_images: list[SearchResult]


class ImageDuplicatesSet(AsposeModel):
    duplicates: list[ImageDuplicates]


class ImageFeatures(AsposeModel):
    image_id: str
    features_count: int
    feature_length_in_bits: int
    features: str = Field(description="base64 of Lookalike's feature blob")


class TagModel(AsposeModel):
    name: str
    reference_count: int


class TagsList(AsposeModel):
    """Lookalike's extension: the tags of a search context."""

    tags: list[TagModel]


class ImageIdsList(AsposeModel):
    """Lookalike's extension: the images of a search context."""

    image_ids: list[str]


# Storage -------------------------------------------------------------------------------------


class StorageFile(AsposeModel):
    name: str
    is_folder: bool
    modified_date: datetime | None = None
    size: int
    path: str


class FileVersion(StorageFile):
    version_id: str
    is_latest: bool


class FileVersions(AsposeModel):
    value: list[FileVersion]


class FilesList(AsposeModel):
    value: list[StorageFile]


class ObjectExist(AsposeModel):
    exists: bool
    is_folder: bool


class StorageExist(AsposeModel):
    exists: bool


class DiscUsage(AsposeModel):
    used_size: int
    total_size: int


# Errors and tokens ---------------------------------------------------------------------------


class ErrorDetails(AsposeModel):
    request_id: str
    date: datetime


class ErrorModel(AsposeModel):
    code: str
    message: str
    description: str = ""
    inner_error: ErrorDetails | None = None


class ErrorResponse(AsposeModel):
    """Every error the service answers: the SDK reads ``error`` into its ApiException."""

    error: ErrorModel


class FilesUploadResult(AsposeModel):
    uploaded: list[str]
    errors: list[ErrorModel]


class TokenResponse(BaseModel):
    """OAuth 2 client-credentials answer: snake_case, as RFC 6749 spells it."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int
