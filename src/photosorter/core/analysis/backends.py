"""Choosing and building an analyzer from settings. The local analyzer is the default: no account needed."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

from photosorter.core.analysis.types import Analyzer, Feature, parse_features
from photosorter.core.errors import PhotosorterError
from photosorter.core.settings import BACKENDS, Settings


def make_analyzer(
    backend: str,
    settings: Settings,
    models_dir: Path,
    *,
    profile: str | None = None,
    region: str | None = None,
    budget_usd: float | None = None,
    isolated: bool = False,
) -> Analyzer:
    """``isolated`` runs the local analyzer in worker processes: for the desktop app, whose window
    must not wait for the GIL while models load and run."""
    if backend == "local":
        from photosorter.core.analysis.local import LocalAnalyzer

        if isolated:
            from photosorter.core.analysis.isolated import ProcessAnalyzer

            return ProcessAnalyzer(partial(LocalAnalyzer, cache_dir=models_dir), workers=os.cpu_count() or 2)
        return LocalAnalyzer(cache_dir=models_dir)
    if backend == "rekognition":
        from photosorter.core.analysis.rekognition import RekognitionAnalyzer

        return RekognitionAnalyzer(
            profile=profile or settings.aws_profile,
            region=region or settings.aws_region,
            rate_limit=settings.rate_limit,
            collection_id=settings.collection_id,
            budget=budget_usd if budget_usd is not None else settings.budget_usd,
        )
    if backend == "cloud":
        from photosorter.core.cloud.analyzer import CloudAnalyzer

        return CloudAnalyzer(
            settings.with_changes(
                aws_profile=profile or settings.aws_profile, aws_region=region or settings.aws_region
            )
        )
    raise PhotosorterError(f"unknown backend {backend!r}; choose one of: {', '.join(BACKENDS)}")


def features_for(backend: str, settings: Settings, requested: str | None) -> frozenset[Feature]:
    try:
        return parse_features(requested or ",".join(settings.features_for(backend)))
    except ValueError as error:
        raise PhotosorterError(str(error)) from None


def analyzer_settings(settings: Settings) -> tuple[object, ...]:
    """The settings an analyzer is built with: when they change, a running app builds a new one (and new
    worker processes) before its next photo. Features are not here: they are read for every run."""
    if settings.backend == "cloud":
        return (settings.backend, settings.aws_profile, settings.aws_region, settings.cloud_stack)
    if settings.backend == "rekognition":
        return (
            settings.backend,
            settings.aws_profile,
            settings.aws_region,
            settings.rate_limit,
            settings.budget_usd,
            settings.collection_id,
        )
    return (settings.backend,)


def analysis_settings(settings: Settings) -> tuple[object, ...]:
    """Everything that shapes analysis: the analyzer's settings and the chosen backend's features."""
    return (*analyzer_settings(settings), settings.features_for(settings.backend))
