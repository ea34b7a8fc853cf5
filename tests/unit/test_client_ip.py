"""The client address the audit trail records, behind 0, 1 or 2 trusted proxies."""

import pytest
from django.test import RequestFactory, override_settings

from npda.accounts.activity import client_ip


def request(forwarded: str | None = None, remote: str = "10.0.0.5"):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


@override_settings(NPDA_TRUSTED_PROXY_HOPS=0)
def test_without_proxies_the_header_is_ignored():
    assert client_ip(request("203.0.113.9")) == "10.0.0.5"


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (1, "198.51.100.7", "198.51.100.7"),  # one proxy appended what it saw
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the client's own claim is ignored
        (2, "6.6.6.6, 198.51.100.7, 192.0.2.1", "198.51.100.7"),  # CDN then proxy
        (2, "198.51.100.7", "10.0.0.5"),  # fewer entries than proxies: the connecting address
        (1, "not-an-address", "10.0.0.5"),
        (1, "", "10.0.0.5"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_behind_trusted_proxies_the_outermost_proxy_s_entry_is_used(hops, forwarded, expected):
    with override_settings(NPDA_TRUSTED_PROXY_HOPS=hops):
        assert client_ip(request(forwarded)) == expected
