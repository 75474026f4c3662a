"""Delivery of the callbacks the API's records ask for when their status changes."""

from __future__ import annotations

import json
import queue
import threading
import time
from typing import Any
from urllib.parse import urlencode


class CallbackSender:
    """Delivers the callbacks of POST /pec and POST /comunica_pec on status changes, as the
    platform documents them: ``method`` "JSON" posts the record as a JSON body; "POST" (the
    default) posts it form-encoded, as JSON inside the field named ``field`` (default "data").
    The record carries its ``callback`` object, ``data`` included; a Company API monitor's
    callback sends its ``headers`` too and, with "JSON", the body the spec gives it
    (``{"data": monitor}``). Three attempts (0.5 s, 2 s apart); every delivery is logged for
    ``GET /_sandbox/callbacks``."""

    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()
        self.log: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.enabled = True
        threading.Thread(target=self._run, name="sandbox-callbacks", daemon=True).start()

    def enqueue(self, kind: str, record: dict[str, Any], body: Any = None) -> None:
        if self.enabled:
            self.queue.put((kind, record, record if body is None else body, time.time()))

    def stop(self) -> None:
        self.queue.put(None)

    def clear(self) -> None:
        """Forget the log and the deliveries still waiting (a reset account has no records to
        call back for; a backlog of unreachable URLs would otherwise delay the next test's)."""
        with self.lock:
            self.log.clear()
        while True:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                return
            if item is None:  # stop() stays in force
                self.queue.put(None)
                return

    def _run(self) -> None:
        import requests

        session = requests.Session()
        while True:
            item = self.queue.get()
            if item is None:
                return
            kind, record, body, queued = item
            cb = record.get("callback") or {}
            method = str(cb.get("method") or "POST").upper()
            headers = {str(k): str(v) for k, v in (cb.get("headers") or {}).items()}
            status, attempts = None, 0
            for delay in (0, 0.5, 2.0):
                time.sleep(delay)
                attempts += 1
                try:
                    if method == "JSON":
                        r = session.post(cb["url"], json=body, headers=headers, timeout=5)
                    else:
                        form = urlencode({cb.get("field") or "data": json.dumps(record)})
                        r = session.post(
                            cb["url"],
                            data=form,
                            headers={
                                **headers,
                                "Content-Type": "application/x-www-form-urlencoded",
                            },
                            timeout=5,
                        )
                    status = r.status_code
                    if status < 500:
                        break
                except requests.RequestException as exc:
                    status = f"error: {type(exc).__name__}"
            with self.lock:
                self.log.append(
                    {
                        "kind": kind,
                        "id": record.get("id"),
                        "stato": record.get("stato"),
                        "status": status,
                        "attempts": attempts,
                        "queued": queued,
                        "sent": time.time(),
                    }
                )
                del self.log[:-5000]
