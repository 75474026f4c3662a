"""``python manage.py pec <subcommand>``: talk to Openapi's PEC API with the portal's settings.

    pec domain <dominio>        is the domain a PEC provider's / certified domain?
    pec available <address>     is the address free?
    pec list                    the account's boxes
    pec show <id>               one box
    pec comunica-list           Registro Imprese communication requests
    pec comunica-show <id>      one request
    pec wallet                  wallet credit and latest transactions

On an API error the API's message and error number go to stderr and the exit status is 1.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from openapi_pec import errors
from portal.openapi import get_client


def _d(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%d/%m/%Y %H:%M UTC")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


#: How every list starts (heading, width, value) and every object shown: an Openapi object of
#: this API is a PEC address with its id (a box, a comunica request).
_ADDRESS_COLUMNS = [("ID", 24, lambda o: o.id), ("ADDRESS", 40, lambda o: o.casella_pec)]


def _address_fields(obj) -> list[tuple[str, Any]]:
    return [("id", obj.id), ("address", obj.casella_pec)]


class Command(BaseCommand):
    help = (
        "Query Openapi's PEC API (domain, available, list, show, comunica-list, "
        "comunica-show, wallet)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", metavar="subcommand")
        sub.required = True
        p = sub.add_parser("domain", help="check a domain (GET /domini_pec/{dominio})")
        p.add_argument("dominio")
        p = sub.add_parser("available", help="is an address available (GET /verifica_pec)")
        p.add_argument("address")
        sub.add_parser("list", help="list the account's boxes (GET /pec)")
        p = sub.add_parser("show", help="show one box (GET /pec/{id})")
        p.add_argument("id")
        sub.add_parser("comunica-list", help="list comunica requests (GET /comunica_pec)")
        p = sub.add_parser("comunica-show", help="show one comunica request")
        p.add_argument("id")
        p = sub.add_parser("wallet", help="wallet credit and transactions")
        p.add_argument("--transactions", type=int, default=5, help="how many to show")

    def handle(self, *args, **options):
        sub = options["subcommand"]
        client = get_client()
        if settings.OPENAPI_DEMO:
            self.stderr.write(f"(demo mode: sandbox at {settings.OPENAPI_PEC_URL})")
        try:
            getattr(self, "do_" + sub.replace("-", "_"))(client, options)
        except errors.OpenapiError as exc:
            parts = [
                f"HTTP {exc.status}" if exc.status else None,
                f"error {exc.error_code}" if exc.error_code is not None else None,
            ]
            where = ", ".join(p for p in parts if p)
            raise CommandError(
                f"Openapi: {exc.message}" + (f" ({where})" if where else "")
            ) from None

    def _line(self, text: str = "") -> None:
        self.stdout.write(text)

    def _fields(self, rows: list[tuple[str, Any]]) -> None:
        width = max(len(k) for k, _ in rows)
        for key, value in rows:
            self._line(f"{key.ljust(width)}  {_d(value)}")

    def _table(self, items, columns, *, empty: str, count: str) -> None:
        """A heading and one line a item: each column (heading, width, value) padded to its
        width."""
        if not items:
            self._line(empty)
            return
        self._line("  ".join(heading.ljust(width) for heading, width, _v in columns))
        for item in items:
            self._line("  ".join(str(value(item)).ljust(width) for _h, width, value in columns))
        self._line(count.format(n=len(items)))

    def do_domain(self, client, options):
        check = client.domini_pec(options["dominio"])
        verdict = "FOUND" if check.found else "NOT FOUND"
        self._line(f"{check.dominio}: {verdict}" + (f" - {check.message}" if check.message else ""))
        for domain in check.domains:
            self._line(f"  {domain}")

    def do_available(self, client, options):
        free = client.verifica_pec(options["address"])
        self._line(f"{options['address']}: {'available' if free else 'NOT available'}")

    def do_list(self, client, options):
        self._table(
            client.list_caselle(),
            [
                *_ADDRESS_COLUMNS,
                ("TYPE", 17, lambda b: b.tipo_casella),
                ("STATUS", 22, lambda b: b.stato),
                ("EXPIRES", 0, lambda b: _d(b.data_scadenza)),
            ],
            empty="No PEC boxes on this account.",
            count="{n} box(es)",
        )

    def do_show(self, client, options):
        b = client.get_casella(options["id"])
        self._fields(
            [
                *_address_fields(b),
                ("type", b.tipo_casella),
                ("status", b.stato),
                ("customer", f"{b.tipo_cliente} {b.sottotipo_cliente}".strip()),
                ("applicant", f"{b.nome_richiedente} {b.cognome_richiedente}".strip()),
                ("tax code", b.codice_fiscale_richiedente),
                ("holder", b.denominazione_titolare),
                ("e-mail", b.email),
                ("activated", b.data_attivazione),
                ("expires", b.data_scadenza),
                ("auto-renew", "yes" if b.autorinnovo else "no"),
                ("disk MB", b.spazio_disco),
                ("archive MB", b.spazio_storico),
                (
                    "preservation",
                    f"{'yes' if b.conservazione else 'no'} ({b.spazio_conservazione or 0} MB)",
                ),
                ("users", len(b.multiutenza)),
                ("registered", b.timestamp.registrazione),
                ("updated", b.timestamp.ultima_modifica),
                ("revoked", b.timestamp.revoca),
                ("documents", ", ".join(b.documenti_attivazione)),
            ]
        )

    def do_comunica_list(self, client, options):
        self._table(
            client.list_comunica(),
            [
                *_ADDRESS_COLUMNS,
                ("STATUS", 24, lambda r: r.stato),
                ("UPDATED", 0, lambda r: _d(r.timestamp)),
            ],
            empty="No comunica requests on this account.",
            count="{n} request(s)",
        )

    def do_comunica_show(self, client, options):
        r = client.get_comunica(options["id"])
        self._fields(
            [
                *_address_fields(r),
                ("status", r.stato),
                ("company", r.ragione_sociale),
                ("tax code/VAT", r.cf_piva),
                ("place", f"{r.comune} ({r.provincia})"),
                ("applicant", f"{r.nome} {r.cognome} - {r.qualifica}"),
                ("applicant tax code", r.cf),
                ("e-mail", r.email),
                ("mobile", r.cellulare),
                ("registry code", r.codice_registro_imprese),
                ("registry documents", ", ".join(r.documenti_registro_imprese)),
                ("updated", r.timestamp),
            ]
        )

    def do_wallet(self, client, options):
        wallet = client.wallet()
        self._line(f"Credit: EUR {wallet.credit:.2f}")
        limit = options["transactions"]
        if limit > 0:
            for tx in client.wallet_transactions(limit=limit)[:limit]:
                self._line(f"  {_d(tx.created_at):20}  {tx.amount:>10.2f}  {tx.description}")
