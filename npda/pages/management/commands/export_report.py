"""`python manage.py export_report --area E54000008 --release latest --format csv --out DIR`,
or `--level icb` for every area of a level: the report files of issue 12 (CSV, XLSX, PDF,
and the area's map as PNG or SVG) from one published release. A bad area, level, release
or format writes nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from aggregation import selectors
from aggregation.selectors import NotFound
from dashboards import area_files, exports
from dashboards.rendering import ImagesUnavailable


class Command(BaseCommand):
    help = "Write an area's report files (CSV, XLSX, PDF, PNG, SVG) from a published release."

    def add_arguments(self, parser):
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--area", help="an area code, e.g. E54000008 (or EW: England and Wales)")
        where.add_argument(
            "--level", help=f"every area of a level: {', '.join(exports.EXPORT_LEVELS)}"
        )
        parser.add_argument("--release", default="latest", help="a release id or 'latest'")
        parser.add_argument(
            "--format", default="csv", help=f"one of {', '.join(area_files.FORMATS)}"
        )
        parser.add_argument("--out", required=True, type=Path, help="the folder to write to")

    def handle(self, *args, **options):
        fmt = options["format"].lower()
        if fmt not in area_files.FORMATS:
            raise CommandError(
                f"Unknown format {fmt!r}: choose one of {', '.join(area_files.FORMATS)}."
            )
        try:
            release = selectors.resolve_release(options["release"])
            targets = self._targets(release.id, options["area"], options["level"])
        except NotFound as error:
            raise CommandError(str(error)) from error
        out: Path = options["out"]
        files = []
        for done, (level, code) in enumerate(targets, start=1):  # all built before any is written
            export = exports.area_export(release.id, level, code)
            try:
                content, _ = area_files.render(export, fmt)
            except (NotFound, ImagesUnavailable) as error:
                raise CommandError(
                    f"{export.area.name} ({code}): {error} Nothing was written."
                ) from error
            files.append((out / f"{export.file_stem}.{fmt}", content))
            if len(targets) > 1:
                self._progress(done, len(targets))
        out.mkdir(parents=True, exist_ok=True)
        for path, content in files:
            path.write_bytes(content)
        self.stdout.write(f"Wrote {len(files)} {fmt} file{'s' * (len(files) != 1)} to {out}")

    def _targets(self, release_id: int, area: str | None, level: str | None) -> list:
        every = selectors.areas(None, release_id)
        if level is not None:
            if level not in exports.EXPORT_LEVELS:
                raise NotFound("level", level, list(exports.EXPORT_LEVELS),
                               f"Unknown level {level!r}: choose one of "
                               f"{', '.join(exports.EXPORT_LEVELS)}.")  # fmt: skip
            return [(a.level, a.code) for a in every if a.level == level]
        found = [a for a in every if a.code == area and a.level in exports.EXPORT_LEVELS]
        if not found:
            raise NotFound("area", area, [], f"There is no area {area!r} in release {release_id}.")
        return [(found[0].level, found[0].code)]

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // total
        end = "\n" if done == total else "\r"
        self.stdout.write(f"  [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending=end)
        self.stdout.flush()
