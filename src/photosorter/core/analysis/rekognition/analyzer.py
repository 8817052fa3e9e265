"""RekognitionAnalyzer: the Analyzer protocol on top of Amazon Rekognition Image.

Each feature is one API call with the image as ``Bytes``: DetectLabels,
IndexFaces into the library's collection (DetectFaces when there is none),
DetectText, DetectModerationLabels, RecognizeCelebrities. One instance is
shared by all worker threads: one client, one rate limit, one cost meter.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from photosorter.core.analysis.pricing import CostMeter, Operation, operation_for, price
from photosorter.core.analysis.rekognition import convert
from photosorter.core.analysis.rekognition.client import RekognitionClient, RekognitionRequestError
from photosorter.core.analysis.rekognition.collection import FaceCollection
from photosorter.core.analysis.rekognition.images import prepare_image
from photosorter.core.analysis.types import AnalysisResult, FatalAnalysisError, Feature

API_VERSION = "2016-06-27"

_CONVERTERS: dict[Operation, Callable[[Mapping[str, Any]], tuple[Any, ...]]] = {
    Operation.DETECT_LABELS: convert.labels,
    Operation.INDEX_FACES: convert.faces_indexed,
    Operation.DETECT_FACES: convert.faces_detected,
    Operation.DETECT_TEXT: convert.text_lines,
    Operation.DETECT_MODERATION_LABELS: convert.moderation_labels,
    Operation.RECOGNIZE_CELEBRITIES: convert.celebrities,
}
_RESULT_FIELD = {
    Feature.LABELS: "labels",
    Feature.FACES: "faces",
    Feature.TEXT: "text",
    Feature.MODERATION: "moderation",
    Feature.CELEBRITIES: "celebrities",
}


def result_of(answers: Mapping[Feature, tuple[Operation, Mapping[str, Any]]]) -> AnalysisResult:
    """Rekognition's answers (each feature's operation and response) as the result the catalog stores.
    The cloud library's import goes through here too, so a result made by its function is stored
    exactly as one made directly."""
    fields = {
        _RESULT_FIELD[feature]: _CONVERTERS[op](response) for feature, (op, response) in answers.items()
    }
    raw = {feature.value: response for feature, (_, response) in answers.items()}
    return AnalysisResult(backend=RekognitionAnalyzer.name, features=frozenset(answers), raw=raw, **fields)


def operation_of(model_version: str) -> Operation:
    """The operation a model version names ("IndexFaces/2016-06-27/<collection>" -> IndexFaces);
    ValueError for one this version does not know."""
    return Operation(model_version.split("/", 1)[0])


class RekognitionAnalyzer:
    """Analyzes images with Amazon Rekognition; thread-safe, share one instance per run.

    ``rate_limit`` paces every call (requests per second, all threads together;
    0 = unpaced); ``collection_id`` is the library's face collection, made by the
    first run that indexes faces (``prepare``); ``budget`` (USD) stops the run
    before it would be exceeded;
    ``client`` injects a ready boto3 client (botocore Stubber tests).
    ``meter`` counts calls per Operation and their estimated cost.
    """

    name = "rekognition"
    default_features: frozenset[Feature] = frozenset({Feature.LABELS, Feature.FACES, Feature.TEXT})
    # Each feature is one billed call: a run asks for one at a time and stores each answer as it arrives.
    calls_per_feature = True

    def __init__(
        self,
        profile: str | None = None,
        region: str | None = None,
        rate_limit: float = 5.0,
        collection_id: str | None = None,
        client: Any | None = None,
        *,
        budget: float | None = None,
        meter: CostMeter | None = None,
        max_attempts: int = 6,
        # "standard", not "adaptive": our token bucket already paces every call, and adaptive mode's own
        # client-side limiter cuts the rate to 0.7x on each throttle and climbs back slowly; with one call in
        # ten throttled, bench_rekognition.py measured 0.69x of the configured rate with it, 1.00x without.
        retry_mode: str = "standard",
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        min_label_confidence: float | None = None,
        max_labels: int | None = None,
        label_settings: Mapping[str, Any] | None = None,
        min_moderation_confidence: float | None = None,
    ) -> None:
        self.api = RekognitionClient(
            profile,
            region,
            rate_limit=rate_limit,
            meter=meter if meter is not None else CostMeter(budget),
            client=client,
            max_attempts=max_attempts,
            retry_mode=retry_mode,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )
        self.collection = FaceCollection(self.api, collection_id) if collection_id else None
        self._min_label_confidence = min_label_confidence
        self._max_labels = max_labels
        self._label_settings = dict(label_settings) if label_settings else None
        self._min_moderation_confidence = min_moderation_confidence
        self._held = threading.local()  # a photo's budget_for reservation, per worker thread

    @property
    def meter(self) -> CostMeter:
        return self.api.meter

    @property
    def preferred_workers(self) -> int:
        """Calls in flight: a remote call waits on the network, so about one per request/s allowed."""
        rate = self.api.bucket.rate or 8.0
        return max(2, min(16, math.ceil(rate)))

    def close(self) -> None:
        self.api.close()

    def prepare(self, features: frozenset[Feature]) -> None:
        """Before a run's workers start: makes or confirms the face collection once, so that parallel
        first calls do not each find it missing and race to create it."""
        if Feature.FACES in features and self.collection is not None:
            self.collection.ensure()

    def _operation(self, feature: Feature) -> Operation:
        return operation_for(feature, use_collection=self.collection is not None)

    def model_version(self, feature: Feature) -> str:
        """The operation and API version; indexed faces also name their collection (FaceIds live there)."""
        feature = Feature(feature)
        version = f"{self._operation(feature)}/{API_VERSION}"
        if feature is Feature.FACES and self.collection is not None:
            version += f"/{self.collection.collection_id}"
        return version

    def analyze(self, image: bytes, features: frozenset[Feature] | None = None) -> AnalysisResult:
        wanted = frozenset(Feature(f) for f in (features or self.default_features))
        payload = prepare_image(image)  # AnalysisError before any call or reservation
        # IndexFaces stores faces, so it goes last: if another call fails and the
        # photo stays pending, its faces are not indexed twice.
        plan = sorted(
            ((f, self._operation(f)) for f in Feature if f in wanted),
            key=lambda item: item[1] is Operation.INDEX_FACES,
        )
        reserved = self._reserve([op for _, op in plan])  # BudgetExceeded before any call
        spent = 0.0
        answers: dict[Feature, tuple[Operation, Mapping[str, Any]]] = {}
        try:
            for feature, op in plan:
                response = self._run(op, payload)
                spent += price(op)
                answers[feature] = (op, response)
        finally:
            self.meter.release(reserved - spent)
        return result_of(answers)

    @contextmanager
    def budget_for(self, features: frozenset[Feature]) -> Iterator[None]:
        """Sets aside the cost of one photo's calls for ``features`` (BudgetExceeded before any call),
        for ``analyze`` calls in this thread asking for them one at a time: a budget stops a run
        between photos, never half-way through one. What is not spent is given back."""
        held = self.meter.reserve(self._operation(f) for f in Feature if f in features)
        self._held.amount = held
        try:
            yield
        finally:
            self.meter.release(self._held.amount)
            self._held.amount = 0.0

    def _reserve(self, operations: list[Operation]) -> float:
        """Takes the cost from this thread's ``budget_for`` reservation, or reserves it from the meter."""
        cost = sum(price(op) for op in operations)
        held = getattr(self._held, "amount", 0.0)
        if held >= cost - 1e-12:
            self._held.amount = max(0.0, held - cost)
            return cost
        return self.meter.reserve(operations)

    def _run(self, op: Operation, payload: bytes) -> dict[str, Any]:
        image = {"Bytes": payload}
        if op is Operation.INDEX_FACES:
            assert self.collection is not None
            return self.collection.index_faces(payload, reserved=True)
        params: dict[str, Any] = {"Image": image}
        if op is Operation.DETECT_LABELS:
            params["Features"] = ["GENERAL_LABELS"]
            if self._label_settings:
                params["Settings"] = {"GeneralLabels": self._label_settings}
            if self._min_label_confidence is not None:
                params["MinConfidence"] = self._min_label_confidence
            if self._max_labels is not None:
                params["MaxLabels"] = self._max_labels
        elif op is Operation.DETECT_FACES:
            params["Attributes"] = ["ALL"]
        elif op is Operation.DETECT_MODERATION_LABELS and self._min_moderation_confidence is not None:
            params["MinConfidence"] = self._min_moderation_confidence
        return self.api.call(op, reserved=True, **params)

    def check_connection(self) -> str:
        """One cheap, free call (ListCollections) proving credentials, region and permissions.

        Returns a message for the user; raises FatalAnalysisError (what to fix)
        or TransientAnalysisError (network, service trouble).
        """
        try:
            self.api.call(Operation.LIST_COLLECTIONS, MaxResults=1)
        except RekognitionRequestError as error:
            raise FatalAnalysisError(f"the Rekognition connection test failed: {error}") from error
        message = f"Connected to Amazon Rekognition in {self.api.region_name} with {self.api.who()}."
        if self.collection is not None:
            message += (
                f" Faces go to the collection '{self.collection.collection_id}'"
                " (made when the first photo is analyzed)."
            )
        return message
