"""Release pages for the audit team: the suppression log of a release (true values; never
public) and the formal outliers with the outlier process record. Views only parse input, call
a selector or service and render."""

import csv
import io

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from aggregation import selectors
from aggregation.models import OutlierProcessStep
from aggregation.services import OutlierStepError, record_outlier_step
from constants.kpis import MEASURES_BY_NUMBER
from dashboards.open_data import BOM
from npda.spreadsheets import csv_row


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
            writer.writerow(csv_row(row))
        for count, row in enumerate(rows, start=1):
            writer.writerow(csv_row(row))
            if count % 2000 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = f"npda-release-{release_id}-suppression-log.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class OutlierStepForm(forms.Form):
    unit = forms.CharField(max_length=8, widget=forms.HiddenInput)
    measure = forms.CharField(max_length=5, widget=forms.HiddenInput)
    step = forms.ChoiceField(choices=OutlierProcessStep.Step.choices)
    taken_on = forms.DateField(label="Date taken", widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(required=False, max_length=2000, widget=forms.Textarea({"rows": 2}))


@login_required
@never_cache  # the outlier process is confidential until published
def outliers_page(request: HttpRequest, release_id: int) -> HttpResponse:
    """The formal outliers of a final release with their funnel evidence, and the record of
    the outlier process: read by the audit team, steps added by its full and edit groups."""
    try:
        report = selectors.outliers(request.user, release_id)
    except selectors.NotFound as error:
        raise Http404(str(error)) from None
    release, cases = report.release, report.cases
    status, failed = 200, None
    if request.method == "POST":
        form = OutlierStepForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                record_outlier_step(
                    request.user, release.id, data["unit"], data["measure"], data["step"],
                    data["taken_on"], data["notes"],
                )  # fmt: skip
            except OutlierStepError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Step recorded.")
                return redirect(request.path + f"#case-{data['unit']}-{data['measure']}")
        status, failed = 400, form
    can_record = request.user.has_perm("aggregation.add_outlierprocessstep")
    rows = []
    for case in cases:
        point, key = case.point, (case.point.area_code, case.point.measure)
        is_failed = (
            failed is not None and (failed.data.get("unit"), failed.data.get("measure")) == key
        )
        form = failed if is_failed else OutlierStepForm(
            initial={"unit": point.area_code, "measure": point.measure}
        )  # fmt: skip
        rows.append({"case": case, "measure": MEASURES_BY_NUMBER[point.measure], "form": form})
    shown = any(row["form"] is failed for row in rows)
    unplaced = [] if failed is None or shown else [
        str(e) for errors in failed.errors.values() for e in errors
    ]  # fmt: skip
    return render(
        request,
        "audit_team/outliers.html",
        {
            "release": release,
            "rows": rows,
            "report": report,
            "withheld": sum(not row["case"].point.published for row in rows),
            "classed": [(MEASURES_BY_NUMBER[n], count) for n, count in report.classed.items()],
            "can_record": can_record,
            "errors": unplaced,
        },
        status=status,
    )
