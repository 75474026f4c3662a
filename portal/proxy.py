"""Who the client is when requests come through the deployment's proxy (deploy/)."""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache
def _trusted_networks(addresses: tuple[str, ...]):
    """As gunicorn reads forwarded_allow_ips: addresses or networks, "*" for any."""
    networks = []
    for address in addresses:
        if address == "*":
            return (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
        try:
            networks.append(ipaddress.ip_network(address))
        except ValueError:
            continue  # gunicorn refuses to start on it
    return tuple(networks)


def _is_trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _trusted_networks(tuple(settings.TRUSTED_PROXIES)))


def client_address(request) -> str | None:
    """The client's address (login throttling): REMOTE_ADDR, unless the request came from a
    trusted proxy (settings.TRUSTED_PROXIES, the addresses gunicorn believes too), whose
    X-Forwarded-For holds the address it saw (it overwrites what the client sent)."""
    remote = request.META.get("REMOTE_ADDR")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and remote and _is_trusted_proxy(remote):
        candidate = forwarded.rsplit(",", 1)[-1].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            return remote
    return remote
