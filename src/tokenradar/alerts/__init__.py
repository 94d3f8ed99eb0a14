"""Alerts: rules turn bus events into alerts; cooldowns keep them from repeating;
sinks deliver them, each under a rate cap with a digest for the excess.

::

    async with AlertManager(settings.alerts, store=store, bus=bus, clock=clock) as alerts:
        ...                                      # the bus's events become alerts
        alerts.stats().sinks["slack"].sent

**Rules** (:mod:`tokenradar.alerts.rules`, ``[alerts.rules.<rule>]``): a tier
change (into ``hot`` by default), a decision becoming ``buy_candidate``, a
watched token turning ``avoid`` (a rug), a lane's circuit opening, health
degraded or critical (:class:`HealthChanged` on ``health.<status>``), a part
restarted or given up, storage failed. Each finding has a level (``info`` <
``warning`` < ``error`` < ``critical``), a one-line message, and a dedup key
(``tier:solana:<addr>:hot``, ``circuit:<lane>``).

**Cooldowns** (:mod:`tokenradar.alerts.cooldowns`): a dedup key that fired
within its rule's ``cooldown`` does not fire again. Every firing is stored
(an :class:`~tokenradar.store.AlertFire`); at start the keys fired within the
longest cooldown are loaded back, so a restart does not repeat them.

**Sinks** (:mod:`tokenradar.alerts.sinks`, ``[alerts.sinks.<sink>]``): the
log, a generic JSON webhook, Slack, Discord, Telegram. Each has a ``min_level``,
a bounded queue and one worker task (:mod:`tokenradar.alerts.delivery`) that
sends at most ``rate`` messages per window; what exceeds it is folded into ONE
digest (:mod:`tokenradar.alerts.digest`) sent when the window has room. A
failing message is retried a bounded number of times with backoff (honouring
a 429's ``retry_after``), then counted as failed. :meth:`AlertManager.handle`
only enqueues: a slow or failing sink never slows the publisher.

Fired alerts are also published on the bus as ``alert.<level>`` (payload
:class:`Alert`) for the API's streams.
"""

from tokenradar.alerts.digest import Digest, DigestBuilder
from tokenradar.alerts.manager import AlertManager
from tokenradar.alerts.model import Alert, AlertLevel, Finding, dedup_key
from tokenradar.alerts.payloads import HealthChanged, HealthStatus, health_topic
from tokenradar.alerts.render import Notice
from tokenradar.alerts.rules import Rule, build_rules
from tokenradar.alerts.sinks import Sink, build_sinks
from tokenradar.alerts.stats import AlertStats, PersistStats, RuleStats, SinkState, SinkStats

__all__ = [
    "Alert",
    "AlertLevel",
    "AlertManager",
    "AlertStats",
    "Digest",
    "DigestBuilder",
    "Finding",
    "HealthChanged",
    "HealthStatus",
    "Notice",
    "PersistStats",
    "Rule",
    "RuleStats",
    "Sink",
    "SinkState",
    "SinkStats",
    "build_rules",
    "build_sinks",
    "dedup_key",
    "health_topic",
]
