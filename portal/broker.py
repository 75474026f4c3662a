"""The demo's Celery broker: kombu's filesystem transport, safe for several processes at once.

kombu creates a message file in the queue folder and then fills it, so a worker can take the file
while it is still empty (kombu issue #1551) and stop with ``Unrecoverable error:
JSONDecodeError``; any stray file in the folder does the same. Here a message is written to a
temporary file beside the queue folder and renamed into it (a rename is atomic: a file in the
queue is always complete), a worker claims a file by renaming it (only one worker can), and a
file that is not a message is moved to a quarantine folder with one warning instead of stopping
the worker. The exchange tables in the control folder are replaced atomically too.

Used when no ``REDIS_URL`` is set: ``CELERY_BROKER_TRANSPORT = "portal.broker:Transport"``.
Transport options, besides kombu's (``data_folder_in``/``_out``, ``processed_folder``,
``control_folder``, ``store_processed``): ``temp_folder`` and ``quarantine_folder``, by default
``tmp`` and ``quarantine`` beside the queue folder; all on one file system. Missing folders
are created.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import tempfile
import uuid
from pathlib import Path
from queue import Empty
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads
from kombu.utils.objects import cached_property

logger = logging.getLogger(__name__)


def _write_atomically(folder: Path, final: Path, data: bytes) -> None:
    """``data`` appears at ``final`` whole or not at all."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        # The name is kombu's: the millisecond prefix keeps the queue in publishing order.
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        try:
            _write_atomically(
                self.temp_folder, Path(self.data_folder_out, name), str_to_bytes(dumps(payload))
            )
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add {name!r} to the queue folder") from exc

    def _get(self, queue):
        wanted = f"{queue}.msg"
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.partition(".")[2] != wanted:
                continue
            claimed = self.claim_folder / name
            try:
                os.rename(os.path.join(self.data_folder_in, name), claimed)
            except OSError:
                continue  # another worker took it first
            try:
                raw = claimed.read_bytes()
                payload = loads(bytes_to_str(raw))
                self.Message(payload, channel=self)  # what the consumer will build: fail here
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                self._quarantine(claimed, exc)
                continue
            if not self.store_processed:
                with contextlib.suppress(OSError):
                    claimed.unlink()
            return payload
        raise Empty()

    def _quarantine(self, path: Path, exc: Exception) -> None:
        target = self.quarantine_folder / path.name
        try:
            os.replace(path, target)
        except OSError:
            with contextlib.suppress(OSError):
                path.unlink()
            target = None
        logger.warning(
            "broker: %s is not a message (%s: %s); %s",
            path.name,
            type(exc).__name__,
            str(exc)[:200],
            f"moved to {target}" if target else "deleted",
        )

    # --- exchange tables: changed under one lock and replaced atomically, so that a reader
    # (kombu's get_table, at every publish) sees the old table or the new one, never a half.

    @contextlib.contextmanager
    def _control_lock(self):
        self.control_folder.mkdir(parents=True, exist_ok=True)
        with open(self.control_folder / ".lock", "ab") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def _read_table(self, file: Path) -> list[filesystem.exchange_queue_t]:
        try:
            return [filesystem.exchange_queue_t(*q) for q in loads(file.read_bytes())]
        except FileNotFoundError:
            return []
        except (ValueError, TypeError) as exc:
            logger.warning("broker: unreadable exchange table %s (%s); rebuilt", file.name, exc)
            return []

    def _write_table(self, file: Path, queues) -> None:
        _write_atomically(self.control_folder, file, str_to_bytes(dumps(queues)))

    def get_table(self, exchange):
        try:
            return super().get_table(exchange)
        except (ValueError, TypeError):
            return self._repair_table(exchange)

    def _repair_table(self, exchange):
        """Rewrite an unreadable table with the bindings this process declared (every process
        that sends to or consumes from a queue has declared its binding)."""
        file = self._exchange_file(exchange)
        declared = self.state.exchanges.get(exchange, {}).get("table", [])
        with self._control_lock():
            queues = self._read_table(file)
            for binding in map(filesystem.exchange_queue_t._make, declared):
                if binding not in queues:
                    queues.append(binding)
            self._write_table(file, queues)
        return queues

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        file = self._exchange_file(exchange)
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._control_lock():
            queues = self._read_table(file)
            if binding not in queues:
                self._write_table(file, [binding, *queues])

    def _delete(self, queue, exchange, routing_key, pattern, *args, **kwargs):
        # kombu's virtual channel forgets the queue; the filesystem parent would rewrite the
        # table in place, so it is skipped.
        super(filesystem.Channel, self)._delete(
            queue, exchange, routing_key, pattern, *args, **kwargs
        )
        file = self._exchange_file(exchange)
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._control_lock():
            queues = self._read_table(file)
            if binding in queues:
                queues.remove(binding)
                self._write_table(file, queues)

    # --- folders, created when missing (kombu's must exist beforehand) ---------------------

    def _folder(self, option: str, default: str | Path) -> Path:
        folder = Path(self.transport_options.get(option) or default)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    @cached_property
    def data_folder_in(self) -> str:
        return str(self._folder("data_folder_in", "data_in"))

    @cached_property
    def data_folder_out(self) -> str:
        return str(self._folder("data_folder_out", "data_out"))

    @cached_property
    def temp_folder(self) -> Path:
        return self._folder("temp_folder", Path(self.data_folder_out).parent / "tmp")

    @cached_property
    def claim_folder(self) -> Path:
        # kombu moves a taken message to the system's temp folder, perhaps on another file
        # system (a copy, not a rename); the processed folder is beside the queue.
        return self._folder("processed_folder", "processed")

    @cached_property
    def quarantine_folder(self) -> Path:
        return self._folder("quarantine_folder", Path(self.data_folder_in).parent / "quarantine")


class Transport(filesystem.Transport):
    Channel = Channel

    @property
    def default_connection_params(self) -> dict:
        # Files have no host: without this kombu warns "No hostname was supplied" in every
        # process of `make run`, a warning a newcomer can do nothing about.
        return {}
