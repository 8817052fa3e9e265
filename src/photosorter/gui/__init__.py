"""The desktop app: a thin Qt layer over photosorter.core."""
