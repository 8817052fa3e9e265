"""Feed items as the catalog's records: a result the function made is converted exactly as the direct
Rekognition backend converts its own answers (``rekognition.analyzer.result_of``); a video's Rekognition
Video answers become the local video timeline (``cloud.video``)."""

from __future__ import annotations

from photosorter.cloud_function import calls, items
from photosorter.core.analysis.pricing import operation_for
from photosorter.core.analysis.rekognition.analyzer import API_VERSION, operation_of, result_of
from photosorter.core.analysis.types import Feature
from photosorter.core.catalog.cloud import Change, CloudFailure, CloudPerson, CloudResult, CloudVideoResult
from photosorter.core.cloud.video import video_result

_FEATURES = {f.value: f for f in Feature}


def change_of(item: items.ResultItem | items.PersonItem) -> Change | None:
    """What importing ``item`` stores; None for a result still being analyzed (nothing to store yet)."""
    if isinstance(item, items.PersonItem):
        return CloudPerson(
            items.person_pk(item.user_id), item.seq, item.user_id, item.name, item.face_ids, item.deleted
        )
    pk = items.result_pk(item.content_hash)
    versions = {_FEATURES[f]: v for f, v in item.versions.items() if f in _FEATURES}
    if item.state == "done" and is_video(item):
        responses = {
            _FEATURES[name]: response
            for name, response in item.responses.items()
            if name in _FEATURES and _FEATURES[name] in versions
        }
        return CloudVideoResult(pk, item.seq, item.content_hash, video_result(responses), versions)
    if item.state == "done":
        answers = {}
        for name, response in item.responses.items():
            feature = _FEATURES.get(name)
            if feature is None or feature not in versions:
                continue  # a feature this version does not know: the rest is still usable
            try:
                answers[feature] = (operation_of(versions[feature]), response)
            except ValueError:
                continue
        return CloudResult(pk, item.seq, item.content_hash, result_of(answers), versions)
    if item.state == "failed":
        features = frozenset(_FEATURES[f] for f in item.features if f in _FEATURES)
        known = {f: versions.get(f) or f"{operation_for(f)}/{API_VERSION}" for f in features}
        what = "video" if is_video(item) else "photo"
        error = item.error or f"the cloud library could not analyze this {what}"
        return CloudFailure(pk, item.seq, item.content_hash, features, known, f"{error} (in the cloud)")
    return None


def is_video(item: items.ResultItem) -> bool:
    """A video's item: Rekognition Video jobs were started for it (their Start* names its versions)."""
    return bool(item.jobs) or any(
        calls.video_operation_by_start(version.split("/", 1)[0]) is not None
        for version in item.versions.values()
    )
