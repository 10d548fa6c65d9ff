"""Multipart uploads streamed straight to disk (never into memory or /tmp)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request

from app.errors import AppError

UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "A CSV file with a header row, or a Parquet file.",
                    }
                },
            }
        }
    },
}


@dataclass(frozen=True)
class Upload:
    path: Path
    name: str


async def receive_upload(request: Request, directory: Path) -> Upload:
    """Stream the multipart field ``file`` into a file under ``directory``; the size limit is enforced
    by the middleware while the bytes arrive. The caller removes ``directory``."""
    from python_multipart import FormParser
    from python_multipart.exceptions import FormParserError
    from python_multipart.multipart import parse_options_header

    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or not options.get(b"boundary"):
        raise AppError(400, "bad_upload", "send the file as multipart/form-data in a field named 'file'")
    directory.mkdir(parents=True, exist_ok=True)
    files: list[Any] = []
    parser = FormParser(
        "multipart/form-data",
        None,
        files.append,
        boundary=options[b"boundary"],
        config={
            "UPLOAD_DIR": str(directory),
            "MAX_MEMORY_FILE_SIZE": 0,
            "UPLOAD_DELETE_TMP": False,
            "UPLOAD_KEEP_FILENAME": False,
            "UPLOAD_KEEP_EXTENSIONS": False,
        },
    )
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        raise AppError(400, "bad_upload", f"malformed multipart body: {exc}") from None
    chosen = [f for f in files if f.field_name == b"file"]
    if len(chosen) != 1:
        raise AppError(400, "bad_upload", "the multipart body needs exactly one file field named 'file'")
    upload = chosen[0]
    upload.flush_to_disk()  # an empty part never reached the disk
    upload.file_object.flush()
    name = os.path.basename((upload.file_name or b"upload").decode("utf-8", "replace")) or "upload"
    path = Path(os.fsdecode(upload.actual_file_name))
    for f in files:
        f.close()
    return Upload(path, name)
