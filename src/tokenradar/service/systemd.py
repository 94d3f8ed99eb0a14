"""``sd_notify`` for running under systemd: READY, WATCHDOG, STATUS, STOPPING.

The protocol is one datagram per message to the unix socket named by
``$NOTIFY_SOCKET`` (an abstract socket when it starts with ``@``); ``$WATCHDOG_USEC``
says how often systemd wants a ``WATCHDOG=1``. That is all of it, so it is
written here rather than pulled in as a dependency (the ``sdnotify`` package is
the same dozen lines). Outside systemd (no ``$NOTIFY_SOCKET``) every call does
nothing. See docs/operations.md for the unit file.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self._address = env.get("NOTIFY_SOCKET") or None
        usec = env.get("WATCHDOG_USEC", "")
        #: seconds between WATCHDOG=1 pings systemd expects (None: no watchdog)
        self.watchdog_interval = int(usec) / 1e6 if usec.isdigit() and int(usec) > 0 else None
        self.sent = 0

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def notify(self, message: str) -> bool:
        """Send ``message`` (e.g. ``READY=1``); False when not under systemd or it failed."""
        if self._address is None:
            return False
        address = "\0" + self._address[1:] if self._address.startswith("@") else self._address
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto(message.encode(), address)
        except OSError as exc:
            log.warning("sd_notify %r to %s failed: %s", message, self._address, exc)
            return False
        self.sent += 1
        return True

    def ready(self, status: str = "") -> None:
        self.notify("READY=1" + (f"\nSTATUS={status}" if status else ""))

    def watchdog(self) -> None:
        self.notify("WATCHDOG=1")

    def status(self, text: str) -> None:
        self.notify(f"STATUS={text}")

    def stopping(self) -> None:
        self.notify("STOPPING=1")
