"""R8's simulated office staff (Locust, started headless by bench/load.py): each user is a
logged-in member of staff (a session made by the bench, R8_SESSIONS) who browses the boxes list,
searches, opens boxes and the cockpit, and now and then renews one of its own boxes (R8_BOXES:
its share, never another user's, so no renewal is refused as busy) through the form, the
confirmation and the intent."""

from __future__ import annotations

import itertools
import json
import os
import random
import re

from locust import HttpUser, between, task

SESSIONS = json.loads(os.environ.get("R8_SESSIONS", "[]"))
BOXES = json.loads(os.environ.get("R8_BOXES", "[]"))
RENEWABLE = json.loads(os.environ.get("R8_RENEWABLE", "[]"))
WORDS = ("rossi", "bianchi", "edil", "nord", "marco", "alfa", "ferrari", "servizi", "giulia")
_slots = itertools.count()
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
INTENT = re.compile(r'name="intent_key" value="([^"]+)"')


# Seconds a person takes between two clicks (reading the page, typing): R8_WAIT="3,10".
WAIT = tuple(float(x) for x in os.environ.get("R8_WAIT", "3,10").split(","))


class Staff(HttpUser):
    wait_time = between(*WAIT)

    def on_start(self):
        self.slot = next(_slots)
        self.client.verify = False  # the bench's self-signed certificate
        self.client.cookies.set("sessionid", SESSIONS[self.slot % len(SESSIONS)])
        share = len(RENEWABLE) // max(1, len(SESSIONS))
        self.renewable = RENEWABLE[self.slot * share : (self.slot + 1) * share]

    def _get(self, path, name):
        with self.client.get(path, name=name, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")
            elif "/account/login/" in r.url:
                r.failure("logged out")
            return r

    @task(4)
    def boxes_list(self):
        self._get(random.choice(("/caselle/", "/caselle/?stato=evasa")), "/caselle/")

    @task(1)
    def boxes_sorted(self):
        self._get("/caselle/?sort=indirizzo", "/caselle/?sort")

    @task(3)
    def search(self):
        self._get(f"/caselle/?q={random.choice(WORDS)}", "/caselle/?q=")

    @task(3)
    def open_box(self):
        self._get(f"/caselle/{random.choice(BOXES)}/", "/caselle/<pk>/")

    @task(2)
    def cockpit(self):
        self._get("/", "/ (cockpit)")

    @task(1)
    def renew(self):
        if not self.renewable:
            return
        pk = self.renewable.pop()
        path = f"/caselle/{pk}/rinnovo/"
        form = self._get(path, "rinnovo: form")
        token = TOKEN.search(form.text or "")
        if not token:
            return
        headers = {"Referer": self.host + path}
        data = {"csrfmiddlewaretoken": token.group(1), "anni": "1"}
        with self.client.post(
            path, data=data, headers=headers, name="rinnovo: confirm page", catch_response=True
        ) as r:
            intent = INTENT.search(r.text or "")
            if r.status_code != 200 or not intent:
                r.failure(f"HTTP {r.status_code}, no intent key")
                return
        data.update(step="conferma", intent_key=intent.group(1))
        with self.client.post(
            path, data=data, headers=headers, name="rinnovo: confirmed", catch_response=True
        ) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")
