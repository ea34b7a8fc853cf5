"""Compression of the embedded Dash apps' answers."""

from django.middleware.gzip import GZipMiddleware


class DashGZipMiddleware(GZipMiddleware):
    """Gzip the Dash apps' layouts and callback answers (a layout is 200 KB of JSON, 50 KB
    gzipped). Only there: they hold no secret, whereas compressing pages that carry a CSRF
    token would open them to BREACH."""

    def process_response(self, request, response):
        if not request.path.startswith("/django_plotly_dash/"):
            return response
        return super().process_response(request, response)
