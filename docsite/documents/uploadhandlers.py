"""Stop receiving an uploaded file the moment it passes the size limit.

Django would read a 2 GB upload to the end (to a temporary file) before the
service could refuse it. This handler comes first in
``FILE_UPLOAD_HANDLERS``: it counts each file's bytes as they arrive and,
past ``DOCSITE_MAX_UPLOAD_BYTES``, stops parsing the request and leaves the
refusal on it (``request.upload_refusal``) for the view to show. The rest
of the body is never read; the server closes the connection after answering.
"""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from .conf import documents_setting
from .names import filename_clean


class UploadLimitHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        limit = documents_setting("MAX_UPLOAD_BYTES")
        if self.received > limit:
            name = filename_clean(self.file_name or "") or "The file"
            self.request.upload_refusal = (
                f"{name} is larger than the limit of {limit / 1_048_576:.1f} MB "
                f"({limit:,} bytes); it was refused without reading the rest."
            )
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handlers build the file
