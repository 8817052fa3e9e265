"""What Rekognition calls cost: one price table, estimates ahead of a run, a meter during it.

Amazon Rekognition Image bills per image per API call, in two API groups with
separate tiered prices (https://aws.amazon.com/rekognition/pricing/):

* Group 1: AssociateFaces, CompareFaces, DisassociateFaces, IndexFaces,
  SearchFacesByImage, SearchFaces, SearchUsersByImage, SearchUsers.
* Group 2: DetectFaces, DetectModerationLabels, DetectLabels, DetectText,
  RecognizeCelebrities, DetectProtectiveEquipment.

Collection and user management (CreateCollection, ListCollections, CreateUser,
DeleteUser, DeleteFaces, ...) is not billed per call; stored face vectors are billed per
face per month, which a per-run meter cannot see and so leaves out.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from photosorter.core.analysis.types import FatalAnalysisError, Feature
from photosorter.core.analysis.video.policy import SamplingPolicy


class Operation(StrEnum):
    """Rekognition API operations this app makes, named as in the API."""

    DETECT_LABELS = "DetectLabels"
    DETECT_FACES = "DetectFaces"
    DETECT_TEXT = "DetectText"
    DETECT_MODERATION_LABELS = "DetectModerationLabels"
    RECOGNIZE_CELEBRITIES = "RecognizeCelebrities"
    INDEX_FACES = "IndexFaces"
    SEARCH_FACES = "SearchFaces"
    SEARCH_USERS = "SearchUsers"
    ASSOCIATE_FACES = "AssociateFaces"
    CREATE_COLLECTION = "CreateCollection"
    DELETE_COLLECTION = "DeleteCollection"
    LIST_COLLECTIONS = "ListCollections"
    CREATE_USER = "CreateUser"
    DELETE_FACES = "DeleteFaces"
    DISASSOCIATE_FACES = "DisassociateFaces"
    DELETE_USER = "DeleteUser"


class ApiGroup(StrEnum):
    GROUP1 = "group1"
    GROUP2 = "group2"
    FREE = "free"


# USD per image: list price of the first tier (first million images a month) in
# us-east-1. Later tiers and other regions differ and the free tier is ignored,
# so estimates err on the high side for small accounts.
PRICE_USD_PER_IMAGE: dict[ApiGroup, float] = {
    ApiGroup.GROUP1: 0.001,
    ApiGroup.GROUP2: 0.001,
    ApiGroup.FREE: 0.0,
}

OPERATION_GROUP: dict[Operation, ApiGroup] = {
    Operation.INDEX_FACES: ApiGroup.GROUP1,
    Operation.SEARCH_FACES: ApiGroup.GROUP1,
    Operation.SEARCH_USERS: ApiGroup.GROUP1,
    Operation.ASSOCIATE_FACES: ApiGroup.GROUP1,
    Operation.DISASSOCIATE_FACES: ApiGroup.GROUP1,
    Operation.DETECT_LABELS: ApiGroup.GROUP2,
    Operation.DETECT_FACES: ApiGroup.GROUP2,
    Operation.DETECT_TEXT: ApiGroup.GROUP2,
    Operation.DETECT_MODERATION_LABELS: ApiGroup.GROUP2,
    Operation.RECOGNIZE_CELEBRITIES: ApiGroup.GROUP2,
    Operation.CREATE_COLLECTION: ApiGroup.FREE,
    Operation.DELETE_COLLECTION: ApiGroup.FREE,
    Operation.LIST_COLLECTIONS: ApiGroup.FREE,
    Operation.CREATE_USER: ApiGroup.FREE,
    Operation.DELETE_FACES: ApiGroup.FREE,
    Operation.DELETE_USER: ApiGroup.FREE,
}

# The call each feature costs per image; faces are indexed into the library's
# collection when there is one (one call returning FaceIds and attributes).
FEATURE_OPERATION: dict[Feature, Operation] = {
    Feature.LABELS: Operation.DETECT_LABELS,
    Feature.FACES: Operation.INDEX_FACES,
    Feature.TEXT: Operation.DETECT_TEXT,
    Feature.MODERATION: Operation.DETECT_MODERATION_LABELS,
    Feature.CELEBRITIES: Operation.RECOGNIZE_CELEBRITIES,
}


def price(operation: Operation | str) -> float:
    """USD per call of ``operation`` (first tier, us-east-1)."""
    return PRICE_USD_PER_IMAGE[OPERATION_GROUP[Operation(operation)]]


def operation_for(feature: Feature | str, use_collection: bool = True) -> Operation:
    feature = Feature(feature)
    if feature is Feature.FACES and not use_collection:
        return Operation.DETECT_FACES
    return FEATURE_OPERATION[feature]


def operations_for(features: Iterable[Feature | str], use_collection: bool = True) -> list[Operation]:
    """The billed operations one image costs for ``features``, in a stable order."""
    wanted = {Feature(f) for f in features}
    return [operation_for(f, use_collection) for f in Feature if f in wanted]


def estimate(
    n_photos: int, features: Iterable[Feature | str], use_collection: bool = True
) -> tuple[dict[Operation, int], float]:
    """Calls per operation and their cost in USD for ``--dry-run``.

    One call per photo per feature; throttled retries are not billed and the
    one-off, free CreateCollection is left out.
    """
    if n_photos < 0:
        raise ValueError("n_photos must be >= 0")
    calls = {op: n_photos for op in operations_for(features, use_collection)}
    return calls, sum(price(op) * n for op, n in calls.items())


# Rekognition Video (stored video, Start*/Get* jobs on a video in S3) bills per minute of video per
# feature. USD per minute, first tier, us-east-1, as listed on the pricing page above in 2024 (date of
# the list these were taken from; re-check before relying on them): label detection, face detection,
# text detection, content moderation and celebrity recognition are each 0.10 a minute. Shown next to
# the keyframe estimate so a user sees what sending keyframes as images saves or costs.
VIDEO_PRICES_AS_OF = "2024"
VIDEO_PRICE_USD_PER_MINUTE: dict[Feature, float] = {
    Feature.LABELS: 0.10,
    Feature.FACES: 0.10,
    Feature.TEXT: 0.10,
    Feature.MODERATION: 0.10,
    Feature.CELEBRITIES: 0.10,
}


@dataclass(frozen=True, slots=True)
class VideoEstimate:
    """A video's cost both ways: its keyframes sent as images (what we do), or Rekognition Video."""

    duration_s: float
    keyframes: int  # the interval's frames: cuts add some, repeated pictures remove more
    calls: dict[Operation, int]
    images_usd: float
    video_api_usd: float


def video_estimate(
    duration_s: float,
    features: Iterable[Feature | str],
    use_collection: bool = True,
    policy: SamplingPolicy | None = None,
) -> VideoEstimate:
    wanted = {Feature(f) for f in features}
    interval, _ = (policy or SamplingPolicy()).spacing(duration_s)
    frames = max(1, math.ceil(duration_s / interval)) if duration_s > 0 else 1
    calls, images = estimate(frames, wanted, use_collection)
    per_minute = sum(VIDEO_PRICE_USD_PER_MINUTE[f] for f in wanted)
    return VideoEstimate(duration_s, frames, calls, images, per_minute * duration_s / 60)


def usd(amount: float) -> str:
    """Dollars as people write them, precise enough for per-call prices: 12.50, 0.01, 0.004."""
    if amount >= 1 or amount == 0:
        return f"{amount:.2f}"
    text = f"{amount:.4f}".rstrip("0")
    return text if len(text.partition(".")[2]) >= 2 else f"{amount:.2f}"


class BudgetExceeded(FatalAnalysisError):
    """The next photo would take the run over its budget; the run stops before spending it."""

    def __init__(self, budget: float, committed: float, needed: float) -> None:
        self.budget = budget
        self.committed = committed
        self.needed = needed
        super().__init__(
            f"the Rekognition budget of ${usd(budget)} would be exceeded (${committed:.4f} spent or "
            f"in flight, the next photo needs ${needed:.4f}); raise the budget to continue"
        )


class CostMeter:
    """Counts calls per Operation and their estimated cost, shared by all worker threads.

    With a ``budget`` (USD), a caller ``reserve``s what a photo needs before
    calling (BudgetExceeded if that would go over), ``record``s each call that
    was billed and ``release``s what it reserved but did not spend, so that
    concurrent workers can never together overshoot the budget.
    """

    def __init__(self, budget: float | None = None) -> None:
        if budget is not None and budget < 0:
            raise ValueError("budget must be >= 0")
        self.budget = budget
        self._lock = threading.Lock()
        self._calls: Counter[Operation] = Counter()
        self._spent = 0.0
        self._reserved = 0.0

    @property
    def calls(self) -> dict[Operation, int]:
        with self._lock:
            return dict(self._calls)

    @property
    def total_calls(self) -> int:
        with self._lock:
            return sum(self._calls.values())

    @property
    def estimated_cost_usd(self) -> float:
        with self._lock:
            return self._spent

    def remaining(self) -> float | None:
        """USD left in the budget after what is spent and in flight; None without a budget."""
        if self.budget is None:
            return None
        with self._lock:
            return max(0.0, self.budget - self._spent - self._reserved)

    def reserve(self, operations: Iterable[Operation | str]) -> float:
        """Sets aside the cost of ``operations`` and returns it, or raises BudgetExceeded."""
        amount = sum(price(op) for op in operations)
        with self._lock:
            committed = self._spent + self._reserved
            # The tolerance lets a budget of exactly N calls pay for N calls.
            if self.budget is not None and committed + amount > self.budget + 1e-9:
                raise BudgetExceeded(self.budget, committed, amount)
            self._reserved += amount
        return amount

    def release(self, amount: float) -> None:
        """Gives back ``amount`` USD reserved for calls that were not made."""
        with self._lock:
            self._reserved = max(0.0, self._reserved - amount)

    def record(self, operation: Operation | str, *, reserved: bool = False) -> None:
        """Counts one successful call; ``reserved`` if its cost was reserved beforehand."""
        op = Operation(operation)
        cost = price(op)
        with self._lock:
            self._calls[op] += 1
            self._spent += cost
            if reserved:
                self._reserved = max(0.0, self._reserved - cost)

    def snapshot(self) -> dict[str, object]:
        """JSON-able summary for reports and the status bar."""
        with self._lock:
            return {
                "calls": {str(op): n for op, n in self._calls.items()},
                "estimated_cost_usd": round(self._spent, 6),
                "budget_usd": self.budget,
            }
