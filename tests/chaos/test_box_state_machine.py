"""Property test (Hypothesis, stateful) of the box state machine as the portal applies Openapi's
snapshots.

The remote truth is the sandbox's state machine, in process (pec_sandbox.state.Sandbox, no
timers): Openapi processes documents (in_evasione -> evasa | documenti_errati) and revokes
active boxes whenever it likes. The portal, through its real services and call handler, polls
(GET /pec/{id}), syncs (GET /pec), lets the user upload documents and runs the activation call.

Invariants after every step:
- the local status only moves along the API's graph (never e.g. evasa -> registrata or
  in_evasione -> registrata);
- PATCH /pec/{id}/attivazione is never sent unless the box is registrata or documenti_errati
  at Openapi (the sandbox refuses with 428/267 and the fake client records it);
- an upload is accepted only in registrata / documenti_errati, one activation at a time;
- a box in_evasione is always scheduled for a poll (it cannot get stuck);
- after a fresh read the local status equals Openapi's.

The second machine also delivers STALE snapshots (a GET /pec listed before a change and applied
after it, as sync_account and the bulk poll do when a worker is slow): that finds a real bug.
"""

from __future__ import annotations

import base64
import io
import uuid

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests import figures

pytestmark = pytest.mark.django_db

#: Where the API lets a box go from each status (forward moves; skipping a step is fine: the
#: portal may miss an intermediate status between two reads).
ALLOWED = {
    "nuova": {"registrata", "in_evasione", "evasa", "documenti_errati", "non_registrata"},
    "registrata": {"in_evasione", "evasa", "documenti_errati", "revocata", "chiusa"},
    "in_evasione": {"evasa", "documenti_errati", "revocata", "chiusa"},
    "documenti_errati": {"in_evasione", "evasa", "revocata", "chiusa"},
    "evasa": {"revocata", "chiusa"},
    "revocata": {"evasa", "chiusa"},  # rinnovo of a revoked box
    "chiusa": set(),
}
ACTIVATABLE = {"registrata", "documenti_errati"}
_counts = {"steps": 0, "examples": 0, "sent_outside": 0, "backwards": 0}


class FakeClient:
    """The PecClient methods the portal uses, on an in-process sandbox."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.sent_outside: list[str] = []
        self.patches = 0

    def _wrap(self, fn, *args):
        from openapi_pec import errors
        from pec_sandbox.state import ApiError

        try:
            return fn(*args)
        except ApiError as exc:
            cls = errors.error_for_status(exc.status)
            raise cls(exc.status, exc.message, error_code=exc.error) from None

    def get_casella(self, ident):
        from openapi_pec.types import Casella

        return Casella.from_raw(self._wrap(self.sandbox.get_casella, ident))

    def list_caselle_raw(self):
        from pec_sandbox.state import ApiError

        try:
            return self.sandbox.list_caselle()
        except ApiError:
            return []

    def iter_caselle_raw(self):
        return iter(self.list_caselle_raw())

    def list_caselle(self):
        from openapi_pec.types import CasellaSummary

        return [CasellaSummary.from_raw(i) for i in self.list_caselle_raw()]

    def attivazione(self, ident, documents):
        from openapi_pec.types import Casella

        self.patches += 1
        before = self.sandbox.get_casella(ident)["stato"]
        if before not in ACTIVATABLE:
            self.sent_outside.append(before)
        body = {"documenti": [base64.b64encode(d).decode() for d in documents]}
        return Casella.from_raw(self._wrap(self.sandbox.attivazione, ident, body))


def _pdf(text: str):
    from pec_sandbox.pdf import make_pdf
    from portal.pdf import check_pdf

    return check_pdf(io.BytesIO(make_pdf(text, [uuid.uuid4().hex])))


class BoxMachine(RuleBasedStateMachine):
    stale_snapshots = False

    def __init__(self):
        super().__init__()
        _counts["examples"] += 1

    @initialize()
    def a_registered_box(self):
        from mailboxes.models import Casella
        from pec_sandbox.state import Sandbox
        from tests.security.objects import titolare, user

        from . import test_box_state_machine as me

        self.sandbox = Sandbox(None, evasione_seconds=10**6, start_credit="100000")
        self.client = FakeClient(self.sandbox)
        me._current_client = self.client
        n = uuid.uuid4().hex[:10]
        from openapi_pec.domains import SANDBOX_DOMAINS

        address = f"sm-{n}@{SANDBOX_DOMAINS['STANDARD']}"
        remote = self.sandbox.register(_registration_body(address))
        self.owner = user(f"u{n}")
        self.casella = Casella.objects.create(
            titolare=titolare(codice_fiscale=_piva(n)),
            remote_id=remote["id"],
            casella_pec=remote["casella_pec"],
            tipo_casella="STANDARD",
            stato="registrata",
            registered_by=self.owner,
        )
        self.last_stato = "registrata"
        self.snapshots = [self._summary()]

    # ------------------------------------------------------------------ helpers

    def _remote(self) -> dict:
        return self.sandbox.get_casella(self.casella.remote_id)

    def _summary(self) -> dict:
        return next(i for i in self.sandbox.list_caselle() if i["id"] == self.casella.remote_id)

    def _local(self):
        self.casella.refresh_from_db()
        return self.casella

    def _remote_changed(self):
        self.snapshots.append(self._summary())

    # ------------------------------------------------------------------ Openapi's side

    @precondition(lambda self: self._remote()["stato"] == "in_evasione")
    @rule(outcome=st.sampled_from(["evasa", "documenti_errati"]))
    def openapi_processes_the_documents(self, outcome):
        self.sandbox.force_stato("caselle", self.casella.remote_id, outcome)
        self._remote_changed()

    @precondition(lambda self: self._remote()["stato"] == "evasa")
    @rule()
    def openapi_revokes(self):
        self.sandbox.revoke(self.casella.remote_id)
        self._remote_changed()

    # ------------------------------------------------------------------ the portal's side

    @rule()
    def user_uploads_documents(self):
        from django.core.exceptions import ValidationError

        from mailboxes.models import CasellaCall
        from mailboxes.services import activation

        casella = self._local()
        open_before = CasellaCall.objects.filter(
            casella=casella, kind="attivazione", state__in=["pending", "in_flight", "unclear"]
        ).exists()
        allowed = casella.stato in ACTIVATABLE and not open_before
        try:
            activation.upload_documents(
                casella=casella,
                modulo=_pdf("Modulo"),
                identita=_pdf("Carta"),
                intent_key=str(uuid.uuid4()),
                user=self.owner,
            )
            accepted = True
        except ValidationError:
            accepted = False
        assert accepted == allowed, (casella.stato, open_before, accepted)

    @rule()
    def worker_runs_the_activation(self):
        from mailboxes.calls import handler_for
        from mailboxes.models import CasellaCall
        from portal.remote_calls import run_call

        for call in CasellaCall.objects.filter(
            casella=self.casella, kind="attivazione", state__in=["pending", "unclear"]
        ):
            before = self._remote()["stato"]
            run_call(CasellaCall, call.pk, handler_for("attivazione"))
            if self._remote()["stato"] != before:
                self._remote_changed()

    @rule()
    def poll_reads_the_box(self):
        from mailboxes.services import sync as box_sync

        box_sync.refresh_casella(self._local())
        assert self._local().stato == self._remote()["stato"]

    @rule()
    def sync_lists_the_account(self):
        from mailboxes.services import sync as box_sync

        box_sync.sync_account()
        assert self._local().stato == self._remote()["stato"]

    @precondition(lambda self: self.stale_snapshots and len(self.snapshots) > 1)
    @rule(data=st.data())
    def a_slow_sync_applies_an_old_listing(self, data):
        """GET /pec answered before the last changes, applied after them."""
        from django.db import transaction

        from mailboxes.models import Casella
        from mailboxes.services import mirror

        old = data.draw(st.sampled_from(self.snapshots[:-1]))
        with transaction.atomic():
            casella = Casella.objects.select_for_update().get(pk=self.casella.pk)
            mirror.apply_remote(casella, old, full=False)

    # ------------------------------------------------------------------ invariants

    @invariant()
    def status_moves_only_along_the_api_graph(self):
        if not hasattr(self, "casella"):
            return
        _counts["steps"] += 1
        now = self._local().stato
        if now != self.last_stato:
            if now not in ALLOWED[self.last_stato]:
                _counts["backwards"] += 1
            assert now in ALLOWED[self.last_stato], f"{self.last_stato} -> {now}"
            self.last_stato = now

    @invariant()
    def attivazione_is_never_sent_outside_registrata_or_documenti_errati(self):
        if hasattr(self, "client"):
            _counts["sent_outside"] += len(self.client.sent_outside)
            assert not self.client.sent_outside

    @invariant()
    def one_activation_at_a_time(self):
        from mailboxes.models import CasellaCall

        if hasattr(self, "casella"):
            open_calls = CasellaCall.objects.filter(
                casella=self.casella, kind="attivazione", state__in=["pending", "unclear"]
            ).count()
            assert open_calls <= 1

    @invariant()
    def a_box_in_evasione_is_polled(self):
        if hasattr(self, "casella"):
            casella = self._local()
            if casella.stato == "in_evasione":
                assert casella.next_poll_at is not None


class StaleSnapshotMachine(BoxMachine):
    stale_snapshots = True


_current_client = None


def _registration_body(address: str) -> dict:
    from mailboxes.models import Casella, Richiedente
    from mailboxes.services import registration
    from tests.security.objects import richiedente_data, titolare

    # The portal's own request builder, on throwaway rows, gives a body the sandbox accepts.
    t = titolare(codice_fiscale=_piva(uuid.uuid4().hex[:10]))
    c = Casella(titolare=t, casella_pec=address, tipo_casella="STANDARD")
    c.richiedente = Richiedente(casella=c, **richiedente_data())
    body = registration.registration_request(c).to_payload()
    t.delete()
    return body


def _piva(seed: str) -> str:
    """A distinct 11-digit holder code per box (codice_fiscale is unique)."""
    digits = str(int(seed, 16))[-10:].rjust(10, "0")
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n * 2 > 9 else n * 2
        total += n
    return digits + str((10 - total % 10) % 10)


@pytest.fixture
def fake_openapi(monkeypatch, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from mailboxes import calls, remote
    from portal import callbacks, polling

    def current():
        return _current_client

    for module in (calls, remote, polling, callbacks):
        monkeypatch.setattr(module, "get_client", current)
    monkeypatch.setattr(remote, "is_sandbox", lambda: True)


MACHINE_SETTINGS = settings(
    max_examples=40,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def test_the_box_state_machine_holds(fake_openapi):
    run_state_machine_as_test(BoxMachine, settings=MACHINE_SETTINGS)
    figures.record(
        "box state machine",
        f"{_counts['examples']} runs, {_counts['steps']} steps: 0 backwards moves, "
        f"{_counts['sent_outside']} attivazione outside registrata/documenti_errati",
    )


def test_stale_snapshots_never_move_a_box_backwards(fake_openapi):
    run_state_machine_as_test(
        StaleSnapshotMachine, settings=settings(MACHINE_SETTINGS, phases=[Phase.generate])
    )
