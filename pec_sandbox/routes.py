"""The sandbox's routing table: every API path it serves, with its name, its kind of
authentication and the host its token scopes name."""

from __future__ import annotations

import re

from .company_tables import SANDBOX_COMPANY_HOST
from .tables import SANDBOX_PEC_HOST

__all__ = ["ROUTES", "Route"]


class Route:
    """``takes``: the route is answered with what the sandbox's method of the same name
    returns, called with these parts of the request ("id": the path's id, "body": the JSON
    body, "anni": the query's); None: the server answers it its own way."""

    def __init__(
        self,
        method: str,
        pattern: str,
        name: str,
        auth="bearer",
        host=SANDBOX_PEC_HOST,
        takes: tuple[str, ...] | None = None,
    ):
        self.method, self.host = method, host
        self.regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]*)", pattern) + "$")
        self.name = name
        self.auth = auth  # bearer | basic (OAuth: Basic, or Bearer accepted) | none
        self.takes = takes


ROUTES = [
    Route("GET", "/domini_pec/{dominio}", "domini_pec"),
    Route("GET", "/domini_pec/", "domini_pec_empty"),
    Route("GET", "/verifica_pec/{pec}", "verifica_pec"),
    Route("GET", "/pec", "list_caselle", takes=()),
    Route("POST", "/pec", "register", takes=("body",)),
    Route("GET", "/pec/{id}", "get_casella", takes=("id",)),
    Route("DELETE", "/pec/{id}", "revoke", takes=("id",)),
    Route("PATCH", "/pec/{id}/attivazione", "attivazione", takes=("id", "body")),
    Route("PATCH", "/pec/{id}/modifica", "modifica", takes=("id", "body")),
    Route("PATCH", "/pec/{id}/conservazione", "conservazione", takes=("id", "body")),
    Route("PATCH", "/pec/{id}/trasformazione", "trasformazione", takes=("id", "body")),
    Route("GET", "/pec/{id}/rinnovo", "rinnovo", takes=("id", "anni")),
    Route("POST", "/pec/{id}/multiutenza", "multiutenza", takes=("id", "body")),
    Route("GET", "/pec/{id}/modulo_attivazione", "modulo_attivazione"),
    Route("GET", "/pec/{id}/modulo_conservazione", "modulo_conservazione"),
    Route("GET", "/comunica_pec", "list_comunica", takes=()),
    Route("POST", "/comunica_pec", "create_comunica", takes=("body",)),
    Route("GET", "/comunica_pec/{id}", "get_comunica", takes=("id",)),
    Route("PATCH", "/comunica_pec/{id}", "upload_comunica", takes=("id", "body")),
    Route("GET", "/comunica_pec/{id}/procura_registro_imprese", "procura"),
    Route("POST", "/tokens", "mint_token", auth="basic-only"),
    Route("GET", "/wallet", "wallet", auth="basic", takes=()),
    Route("GET", "/wallet/transactions", "wallet_transactions", auth="basic"),
    *(
        Route(method, pattern, name, host=SANDBOX_COMPANY_HOST)
        for method, pattern, name in (
            ("GET", "/IT-pec/{code}", "IT-pec"),
            ("GET", "/IT-closed/{code}", "IT-closed"),
            ("GET", "/IT-advanced/{code}", "IT-advanced"),
            ("GET", "/IT-stakeholders/{code}", "IT-stakeholders"),
            ("GET", "/monitor", "list_monitors"),
            ("POST", "/monitor", "create_monitor"),
            ("GET", "/monitor/{id}", "get_monitor"),
            ("DELETE", "/monitor/{id}", "delete_monitor"),
        )
    ),
]
