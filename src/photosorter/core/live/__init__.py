"""The live library: watched folders, a persistent job queue, and the threads that work through it."""

from photosorter.core.live.changes import LiveEvent, LiveStatus
from photosorter.core.live.service import LiveLibrary

__all__ = ["LiveEvent", "LiveLibrary", "LiveStatus"]
