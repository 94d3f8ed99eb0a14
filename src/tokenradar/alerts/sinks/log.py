"""The log sink: one structured line per notice on the ``tokenradar.alerts`` logger.

The log level follows the alert's (``critical`` → ``CRITICAL``); a digest logs
at its loudest alert's level. The whole notice is also attached to the record
as ``record.alert`` (the webhook's JSON), for a JSON log formatter.
"""

from __future__ import annotations

import logging
from typing import Final

from tokenradar.alerts.render import Notice, log_line, notice_json
from tokenradar.alerts.sinks.base import Sink
from tokenradar.settings.alerts import AlertLevel

log = logging.getLogger("tokenradar.alerts")

LOG_LEVELS: Final = {
    AlertLevel.INFO: logging.INFO,
    AlertLevel.WARNING: logging.WARNING,
    AlertLevel.ERROR: logging.ERROR,
    AlertLevel.CRITICAL: logging.CRITICAL,
}


class LogSink(Sink):
    def __init__(self, name: str = "log", *, logger: logging.Logger = log) -> None:
        super().__init__(name)
        self.logger = logger

    async def send(self, notice: Notice) -> None:
        self.logger.log(
            LOG_LEVELS[notice.level], "%s", log_line(notice), extra={"alert": notice_json(notice)}
        )
