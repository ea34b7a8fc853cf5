"""The upload size limit, enforced while the request body streams in (not after it has been
read into memory or a temporary file): past NPDA_UPLOAD_SIZE_LIMIT_MB the upload handler stops
keeping the data, and the upload view answers with the F16 rejection."""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from .reader import MEGABYTE, FatalError

TOO_LARGE = "npda_upload_too_large"  # the request attribute the handler sets


class SizeLimitUploadHandler(FileUploadHandler):
    """First of the upload handlers: it counts each file's bytes as they arrive and stops the
    upload (the rest of the body is read and dropped, so the browser still gets the answer)."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.NPDA_UPLOAD_SIZE_LIMIT_MB * MEGABYTE:
            setattr(self.request, TOO_LARGE, True)
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler keeps the file


def too_large_error(request) -> FatalError | None:
    """The F16 rejection for a request whose upload was stopped, sized from its length."""
    if not getattr(request, TOO_LARGE, False):
        return None
    size = int(request.META.get("CONTENT_LENGTH") or 0) / MEGABYTE
    return FatalError("F16", size=f"{size:.1f}", limit=f"{settings.NPDA_UPLOAD_SIZE_LIMIT_MB:g}")
