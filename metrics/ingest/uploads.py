"""An upload handler that stops reading a file once it passes the upload limit."""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

TOO_LARGE_ATTRIBUTE = "stopline_upload_too_large"


class SizeLimitUploadHandler(FileUploadHandler):
    """Placed first: counts the bytes of each file and drops the file above the limit.

    The rest of the request is read and discarded (not stored), so the view can answer with
    a clear message instead of the connection being cut.
    """

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = settings.STOPLINE_MAX_UPLOAD_BYTES
        self.received = 0

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            setattr(self.request, TOO_LARGE_ATTRIBUTE, True)
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
