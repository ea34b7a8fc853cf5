"""Static files storage: WhiteNoise's compressed storage, gzip only, for changed files only."""

import os

from whitenoise.storage import CompressedStaticFilesStorage


class StaticFilesStorage(CompressedStaticFilesStorage):
    """WhiteNoise compresses every file on every `collectstatic`, with brotli at its slowest
    setting when brotli is installed (a test dependency brings it): 90 s each time on 2 cores.
    Gzip only, and only files whose `.gz` is missing or older than the file."""

    def create_compressor(self, **kwargs):
        return super().create_compressor(use_brotli=False, **kwargs)

    def post_process(self, paths, dry_run=False, **options):
        changed = {path: value for path, value in paths.items() if self._needs_compressing(path)}
        yield from super().post_process(changed, dry_run=dry_run, **options)

    def _needs_compressing(self, path: str) -> bool:
        original, packed = self.path(path), self.path(path) + ".gz"
        return not os.path.exists(packed) or os.path.getmtime(packed) < os.path.getmtime(original)
