"""Client for Aspose.Imaging Cloud's image search API and Lookalike's compatible local service.

No Qt and no engine here: the UI reaches the backend only through this package.
"""

from lookalike.client.api import Endpoint, ImagingClient
from lookalike.client.errors import (
    ApiError,
    AuthenticationError,
    ClientError,
    ConnectionFailedError,
    ProtocolError,
    RequestTimeoutError,
    UnsupportedError,
    WaitTimeoutError,
)
from lookalike.client.local_service import LocalService, LocalServiceError
from lookalike.client.models import (
    IDLE,
    IN_PROGRESS,
    ContextStatus,
    DuplicateGroup,
    Failure,
    ImageFeatures,
    Progress,
    SearchResult,
    StorageFile,
    TagInfo,
)
from lookalike.client.paths import image_id_to_path, path_to_image_id

__all__ = [
    "IDLE",
    "IN_PROGRESS",
    "ApiError",
    "AuthenticationError",
    "ClientError",
    "ConnectionFailedError",
    "ContextStatus",
    "DuplicateGroup",
    "Endpoint",
    "Failure",
    "ImageFeatures",
    "ImagingClient",
    "LocalService",
    "LocalServiceError",
    "Progress",
    "ProtocolError",
    "RequestTimeoutError",
    "SearchResult",
    "StorageFile",
    "TagInfo",
    "UnsupportedError",
    "WaitTimeoutError",
    "image_id_to_path",
    "path_to_image_id",
]
