"""The daily sync reads GET /pec as it arrives, SYNC_BATCH boxes at a time: the rows it leaves
are those of a sync in one batch, and a broken answer leaves no batch half-written."""

import pytest
from django.utils import timezone

from mailboxes.models import Casella, Evento, Stato
from mailboxes.services import sync as box_sync
from openapi_pec import errors

pytestmark = pytest.mark.django_db

ROW = (
    "remote_id",
    "casella_pec",
    "tipo_casella",
    "stato",
    "importata",
    "data_scadenza",
    "ts_registrazione",
    "ts_ultima_modifica",
    "ts_revoca",
    "last_payload",
    "last_synced_at",
)


def _rows():
    boxes = list(Casella.objects.order_by("remote_id").values_list(*ROW))
    events = sorted(
        Evento.objects.values_list("casella__remote_id", "tipo", "a_stato"),
        key=lambda e: (e[0], e[1], e[2] or ""),
    )
    return boxes, events


def _sync(monkeypatch, batch, now):
    monkeypatch.setattr(box_sync, "SYNC_BATCH", batch)
    return box_sync.sync_account(now=now)


def test_many_batches_leave_the_rows_of_one(pec, monkeypatch):
    ids = pec._post("seed", {"n": 45, "stato": "evasa", "prefix": "batch"})["ids"]
    # A box the portal registered whose POST /pec answer was lost: linked by its address.
    lost = pec._post("seed", {"n": 1, "stato": "evasa", "prefix": "lost"})["ids"][0]
    raw = box_sync.remote.get_client().list_caselle_raw()
    address = next(i["casella_pec"] for i in raw if i["id"] == lost).lower()
    now = timezone.now()

    results = []
    for batch in (7, 10_000):
        Evento.objects.all().delete()
        Casella.objects.all().delete()
        Casella.objects.create(casella_pec=address, stato=Stato.EVASA)
        first = _sync(monkeypatch, batch, now)
        # Four boxes as a day-old snapshot left them: the next sync moves them on.
        for casella in Casella.objects.filter(remote_id__in=ids[:4]):
            casella.stato = Stato.IN_EVASIONE
            casella.ts_ultima_modifica -= timezone.timedelta(days=1)
            casella.save()
        second = _sync(monkeypatch, batch, now + timezone.timedelta(minutes=1))
        results.append((first, second, _rows()))

    (first, second, rows), one_batch = results
    assert (first, second, rows) == one_batch
    assert first == {"remote": 46, "imported": 45, "updated": 1, "unchanged": 0}
    assert second == {"remote": 46, "imported": 0, "updated": 4, "unchanged": 42}
    assert Casella.objects.get(remote_id=lost).importata is False  # linked, not imported
    assert Casella.objects.filter(remote_id__in=ids[:4], stato=Stato.EVASA).count() == 4


def test_a_few_new_boxes_across_batches_are_read_in_full(pec, monkeypatch):
    ids = pec._post("seed", {"n": 3, "stato": "evasa", "prefix": "few"})["ids"]
    before = len(pec.calls())
    figures = _sync(monkeypatch, 2, timezone.now())
    assert figures["imported"] == 3
    read = [c["path"] for c in pec.calls()[before:] if c["path"].startswith("/pec/")]
    assert sorted(read) == sorted(f"/pec/{rid}" for rid in ids)  # IMPORT_FULL_MAX holds


class _Broken:
    """GET /pec that breaks after ``n`` items (a dropped connection)."""

    def __init__(self, items, n):
        self.items, self.n = items, n

    def iter_caselle_raw(self):
        yield from self.items[: self.n]
        raise errors.OutcomeUnknown(None, "answer interrupted", method="GET", path="/pec")


@pytest.mark.parametrize("n", [0, 5, 9])
def test_a_broken_answer_raises_and_writes_no_part_of_a_batch(pec, monkeypatch, n):
    pec._post("seed", {"n": 60, "stato": "evasa", "prefix": "broken"})
    items = box_sync.remote.get_client().list_caselle_raw()
    monkeypatch.setattr(box_sync.remote, "get_client", lambda: _Broken(items, n))
    with pytest.raises(errors.OutcomeUnknown, match="answer interrupted"):
        _sync(monkeypatch, 10, timezone.now())
    assert not Casella.objects.exists() and not Evento.objects.exists()

    monkeypatch.setattr(box_sync.remote, "get_client", lambda: _Broken(items, 45))
    with pytest.raises(errors.OutcomeUnknown):
        _sync(monkeypatch, 10, timezone.now())
    # Beyond IMPORT_FULL_MAX new boxes, the whole batches before the break are imported, each
    # whole; the next sync imports the rest.
    assert sorted(Casella.objects.values_list("remote_id", flat=True)) == sorted(
        i["id"] for i in items[:40]
    )
