"""The offline analysis backend (the default): models shipped in pip packages, run on this computer."""

from photosorter.core.analysis.local.analyzer import LocalAnalyzer

__all__ = ["LocalAnalyzer"]
