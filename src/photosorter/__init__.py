"""photosorter: a desktop photo organizer that analyzes each photo once and keeps what it learned."""

__version__ = "0.1.0"
