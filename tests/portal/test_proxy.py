"""Who the client is behind the proxy (portal/proxy.py), as login throttling sees it."""

import pytest
from django.test import RequestFactory, override_settings

from portal.proxy import client_address


def _request(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/account/login/", **extra)


@override_settings(TRUSTED_PROXIES=["172.31.250.10"])
@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("172.31.250.10", "203.0.113.7", "203.0.113.7"),  # the proxy names the client
        ("172.31.250.10", None, "172.31.250.10"),
        ("172.31.250.10", "not an address", "172.31.250.10"),
        ("172.31.250.10", "10.0.0.1, 203.0.113.7", "203.0.113.7"),  # the proxy's is the last
        # anyone else cannot choose the address it is throttled under
        ("198.51.100.4", "203.0.113.7", "198.51.100.4"),
        ("172.31.250.11", "203.0.113.7", "172.31.250.11"),
    ],
)
def test_x_forwarded_for_is_believed_from_the_proxy_only(remote, forwarded, expected):
    assert client_address(_request(remote, forwarded)) == expected


@override_settings(TRUSTED_PROXIES=["172.31.250.0/24"])
def test_the_proxy_may_be_a_network():
    assert client_address(_request("172.31.250.99", "203.0.113.7")) == "203.0.113.7"


@override_settings(TRUSTED_PROXIES=[])
def test_without_a_proxy_nobody_is_believed():
    assert client_address(_request("127.0.0.1", "203.0.113.7")) == "127.0.0.1"
