"""Aspose's ``imaging/storage`` operations over the storage root: files, folders, existence.

The SDK quotes the whole path into one URL segment ("a%2Fb.jpg"); the server decodes it, so each
route takes the rest of the URL as its path. ``storageName`` is accepted and ignored: this service
has one storage. Copy and move routes come before upload, which would otherwise take
"copy/<path>" for a file name.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import FileResponse

from lookalike.service.bodies import read_upload
from lookalike.service.downloads import file_download
from lookalike.service.errors import ApiError
from lookalike.service.models import (
    DiscUsage,
    FilesList,
    FilesUploadResult,
    FileVersion,
    FileVersions,
    ObjectExist,
    StorageExist,
    StorageFile,
)
from lookalike.service.search_routes import ERRORS, in_thread
from lookalike.service.storage import StorageEntry, StorageRoot

StoragePath = Annotated[str, Path(description="Path relative to the storage root")]
SourcePath = Annotated[str, Path(alias="srcPath", description="Path relative to the root")]
DestPath = Annotated[str, Query(alias="destPath", description="Path relative to the root")]

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object",
                           "properties": {"file": {"type": "string", "format": "binary"}}}
            },
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
_FILE_ANSWER: dict[int | str, dict[str, Any]] = {200: {"content": {"application/octet-stream": {
    "schema": {"type": "string", "format": "binary"}}}}}


def storage_file(entry: StorageEntry) -> StorageFile:
    """Aspose writes storage paths from the root with a leading slash."""
    return StorageFile(name=entry.name, is_folder=entry.is_folder, size=entry.size,
                       modified_date=entry.modified, path="/" + entry.path)


def storage_router(storage: StorageRoot) -> APIRouter:
    router = APIRouter(prefix="/imaging/storage", tags=["storage"], responses=ERRORS)

    # Copy and move (before upload) ----------------------------------------------------------

    @router.put("/file/copy/{srcPath:path}", operation_id="copy_file", summary="Copy a file")
    async def copy_file(src: SourcePath, dest: DestPath) -> Response:
        await in_thread(storage.copy_or_move, src, dest, folder=False, move=False)
        return Response()

    @router.put("/file/move/{srcPath:path}", operation_id="move_file", summary="Move a file")
    async def move_file(src: SourcePath, dest: DestPath) -> Response:
        await in_thread(storage.copy_or_move, src, dest, folder=False, move=True)
        return Response()

    @router.put("/folder/copy/{srcPath:path}", operation_id="copy_folder",
                summary="Copy a folder")
    async def copy_folder(src: SourcePath, dest: DestPath) -> Response:
        await in_thread(storage.copy_or_move, src, dest, folder=True, move=False)
        return Response()

    @router.put("/folder/move/{srcPath:path}", operation_id="move_folder",
                summary="Move a folder")
    async def move_folder(src: SourcePath, dest: DestPath) -> Response:
        await in_thread(storage.copy_or_move, src, dest, folder=True, move=True)
        return Response()

    # Files ------------------------------------------------------------------------------------

    @router.put("/file/{path:path}", operation_id="upload_file",
                summary="Upload a file (multipart field 'file', or the raw body)",
                openapi_extra=_UPLOAD_BODY)
    async def upload_file(request: Request, path: StoragePath) -> FilesUploadResult:
        upload = await read_upload(request, field="file")
        if upload is None:
            raise ApiError(400, f"No file data for {path!r}: send it as the multipart field "
                           "'file' or as the body")
        written = await in_thread(storage.write_file, path, upload.data)
        return FilesUploadResult(uploaded=[PurePosixPath(written).name], errors=[])

    @router.get("/file/{path:path}", operation_id="download_file", summary="Download a file",
                response_class=FileResponse, responses=_FILE_ANSWER)
    def download_file(path: StoragePath) -> FileResponse:
        return file_download(storage.file_path(path))

    @router.delete("/file/{path:path}", operation_id="delete_file", summary="Delete a file")
    def delete_file(path: StoragePath) -> Response:
        storage.delete_file(path)
        return Response()

    # Folders ----------------------------------------------------------------------------------

    @router.get("/folder/{path:path}", operation_id="get_files_list",
                summary="The files and folders in a folder")
    def get_files_list(path: StoragePath) -> FilesList:
        return FilesList(value=[storage_file(e) for e in storage.list_folder(path)])

    @router.put("/folder/{path:path}", operation_id="create_folder",
                summary="Create a folder (and its parents)")
    def create_folder(path: StoragePath) -> Response:
        storage.create_folder(path)
        return Response()

    @router.delete("/folder/{path:path}", operation_id="delete_folder",
                   summary="Delete a folder; with recursive=true also what it holds")
    def delete_folder(path: StoragePath, recursive: bool = False) -> Response:
        storage.delete_folder(path, recursive=recursive)
        return Response()

    # Existence, versions, usage ---------------------------------------------------------------

    @router.get("/exist/{path:path}", operation_id="object_exists",
                summary="Whether a file or folder exists")
    def object_exists(path: StoragePath) -> ObjectExist:
        exists, is_folder = storage.exists(path)
        return ObjectExist(exists=exists, is_folder=is_folder)

    @router.get("/version/{path:path}", operation_id="get_file_versions",
                summary="A file's versions: this storage keeps only the latest")
    def get_file_versions(path: StoragePath) -> FileVersions:
        latest = storage_file(storage.file_entry(path))
        return FileVersions(value=[FileVersion(**latest.model_dump(), version_id="latest",
                                               is_latest=True)])

    @router.get("/disc", operation_id="get_disc_usage", summary="Used and total disk space")
    def get_disc_usage() -> DiscUsage:
        used, total = storage.disc_usage()
        return DiscUsage(used_size=used, total_size=total)

    @router.get("/{storageName}/exist", operation_id="storage_exists",
                summary="Whether a storage exists: this service has one, under any name")
    def storage_exists(
        storage_name: Annotated[str, Path(alias="storageName")],
    ) -> StorageExist:
        return StorageExist(exists=True)

    return router

