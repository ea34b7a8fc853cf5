"""Release pages for the audit team: the suppression log of a release (true values; never
public). Views only parse input, call a selector and render."""

import csv
import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from aggregation import selectors
from npda.open_data import BOM, formula_safe


@require_GET
@login_required
@never_cache  # the log holds true values of suppressed cells: no copy in any cache
def suppression_log_csv(request: HttpRequest, release_id: int) -> HttpResponse:
    if not request.user.has_perm("aggregation.view_suppression_log"):
        raise PermissionDenied("The suppression log is for the RCPCH audit team.")
    try:
        rows = selectors.suppression_log(request.user, release_id)
        next_row = next(rows, None)
    except selectors.NotFound as error:
        raise Http404(str(error)) from None

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        buffer.write(BOM)
        writer.writerow(selectors.SUPPRESSION_LOG_COLUMNS)
        for row in [next_row] if next_row else []:
            writer.writerow([formula_safe(str(v)) if isinstance(v, str) else v for v in row])
        for count, row in enumerate(rows, start=1):
            writer.writerow([formula_safe(str(v)) if isinstance(v, str) else v for v in row])
            if count % 2000 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = f"npda-release-{release_id}-suppression-log.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
