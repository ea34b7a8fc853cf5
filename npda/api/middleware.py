"""The open data API's caching headers."""

from django.utils.cache import get_conditional_response, set_response_etag

API_PREFIX = "/api/"
API_CACHE_CONTROL = "public, max-age=300"


class ApiCacheHeadersMiddleware:
    """Every open data API response has an ETag and Cache-Control, including the schema and
    docs pages that the API library renders itself; a matching If-None-Match gets 304. The
    API's own views set theirs before doing any work (see npda.api)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX):
            return response
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = API_CACHE_CONTROL
        if not response.has_header("ETag") and not response.streaming:
            set_response_etag(response)
            if request.method in ("GET", "HEAD") and response.status_code == 200:
                return get_conditional_response(request, etag=response["ETag"], response=response)
        return response
