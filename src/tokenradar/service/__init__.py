"""The service layer: :class:`Radar`, the one facade every surface goes through."""

from tokenradar.service.health import Health, HealthStatus
from tokenradar.service.health_report import HealthReport
from tokenradar.service.monitor import HealthMonitor
from tokenradar.service.radar import Radar, RadarStats, TokenView
from tokenradar.service.scans import RadarScan, ScanOutcome

__all__ = [
    "Health",
    "HealthMonitor",
    "HealthReport",
    "HealthStatus",
    "Radar",
    "RadarScan",
    "RadarStats",
    "ScanOutcome",
    "TokenView",
]
