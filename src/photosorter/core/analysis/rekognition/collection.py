"""The library's Rekognition face collection: indexing faces, and the thin helpers People needs.

IndexFaces stores each face's vector in the collection and returns its FaceId;
user vectors (CreateUser, AssociateFaces, SearchUsers) group a person's faces, and
DisassociateFaces / DeleteUser keep them in step when faces move or people go.
A run makes or confirms the collection once before its workers start (``ensure``);
should it be deleted meanwhile, IndexFaces answering ResourceNotFoundException leads
to CreateCollection and one retry.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from photosorter.core.analysis.pricing import Operation
from photosorter.core.analysis.rekognition.client import RekognitionClient, RekognitionRequestError
from photosorter.core.analysis.types import FatalAnalysisError

_COLLECTION_ID = re.compile(r"^[a-zA-Z0-9_.\-]{1,255}$")
_USER_ID = re.compile(r"^[a-zA-Z0-9_.\-:]{1,128}$")
_ASSOCIATE_BATCH = 100  # AssociateFaces and DisassociateFaces take at most 100 FaceIds
_DELETE_BATCH = 4096  # DeleteFaces takes at most 4096 FaceIds


class FaceMatch(NamedTuple):
    face_id: str
    similarity: float  # 0..100


class UserMatch(NamedTuple):
    user_id: str
    similarity: float  # 0..100


@dataclass(frozen=True, slots=True)
class AssociateResult:
    associated: tuple[str, ...] = ()
    failed: dict[str, tuple[str, ...]] = field(default_factory=dict)  # FaceId -> reasons
    user_status: str | None = None


def check_collection_id(collection_id: str) -> str:
    if not _COLLECTION_ID.match(collection_id):
        raise ValueError(
            f"invalid Rekognition collection id {collection_id!r}: use 1-255 letters, digits, '_', '.' or '-'"
        )
    return collection_id


def _check_user_id(user_id: str) -> str:
    if not _USER_ID.match(user_id):
        raise ValueError(
            f"invalid Rekognition user id {user_id!r}: use 1-128 letters, digits, '_', '.', '-' or ':'"
        )
    return user_id


class FaceCollection:
    """One face collection, reached through a shared RekognitionClient (thread-safe)."""

    def __init__(self, client: RekognitionClient, collection_id: str) -> None:
        self.client = client
        self.collection_id = check_collection_id(collection_id)
        self._create_lock = threading.Lock()
        self._confirmed = False  # made or found to exist by ensure()

    def outside_budget(self) -> FaceCollection:
        """This collection through ``client.outside_budget()``: for grouping what a run paid for."""
        return FaceCollection(self.client.outside_budget(), self.collection_id)

    def _call(self, operation: Operation, **params: Any) -> dict[str, Any]:
        return self.client.call(operation, CollectionId=self.collection_id, **params)

    def create_collection(self) -> bool:
        """Creates the collection; False if it already existed."""
        try:
            self._call(Operation.CREATE_COLLECTION)
        except RekognitionRequestError as error:
            if error.code == "ResourceAlreadyExistsException":
                return False
            if error.code == "ServiceQuotaExceededException":
                raise FatalAnalysisError(
                    f"cannot create the Rekognition face collection '{self.collection_id}': the account's "
                    "collection quota is reached; delete unused collections or choose an existing one"
                ) from error
            raise
        return True

    def ensure(self) -> None:
        """Makes the collection unless this object already made or confirmed it (once per analyzer)."""
        with self._create_lock:
            if not self._confirmed:
                self.create_collection()
                self._confirmed = True

    def index_faces(self, image: bytes, *, reserved: bool = False, **options: Any) -> dict[str, Any]:
        """IndexFaces with every attribute; creates the collection if it is missing, then retries once."""
        params = {"Image": {"Bytes": image}, "DetectionAttributes": ["ALL"], **options}
        try:
            return self._call(Operation.INDEX_FACES, reserved=reserved, **params)
        except RekognitionRequestError as error:
            if error.code != "ResourceNotFoundException":
                raise
        # Deleted since ensure() (or never ensured): several workers may find it missing at once; one
        # creates it, the others find it made.
        with self._create_lock:
            self.create_collection()
            self._confirmed = True
        return self._call(Operation.INDEX_FACES, reserved=reserved, **params)

    def delete_collection(self) -> bool:
        """Deletes the collection and every face in it; False if it did not exist."""
        try:
            self._call(Operation.DELETE_COLLECTION)
        except RekognitionRequestError as error:
            if error.code == "ResourceNotFoundException":
                return False
            raise
        return True

    def delete_faces(self, face_ids: Iterable[str]) -> list[str]:
        """Removes faces from the collection; returns the FaceIds actually deleted."""
        ids = list(dict.fromkeys(face_ids))
        deleted: list[str] = []
        for start in range(0, len(ids), _DELETE_BATCH):
            response = self._call(Operation.DELETE_FACES, FaceIds=ids[start : start + _DELETE_BATCH])
            deleted.extend(response.get("DeletedFaces", ()))
        return deleted

    def search_faces(self, face_id: str, threshold: float = 80.0, max_faces: int = 100) -> list[FaceMatch]:
        """Faces of the collection like ``face_id`` (itself excluded), most similar first."""
        response = self._call(
            Operation.SEARCH_FACES, FaceId=face_id, FaceMatchThreshold=float(threshold), MaxFaces=max_faces
        )
        matches = [
            FaceMatch(m["Face"]["FaceId"], float(m.get("Similarity", 0.0)))
            for m in response.get("FaceMatches", ())
            if "FaceId" in m.get("Face", {})
        ]
        return sorted(matches, key=lambda m: -m.similarity)

    def create_user(self, user_id: str) -> bool:
        """Creates a user vector (one person); False if it already exists."""
        try:
            self._call(Operation.CREATE_USER, UserId=_check_user_id(user_id))
        except RekognitionRequestError as error:
            if error.code == "ConflictException":
                return False
            raise
        return True

    def associate_faces(self, user_id: str, face_ids: Sequence[str]) -> AssociateResult:
        """Adds faces to a user, 100 per call; says which failed and why."""
        _check_user_id(user_id)
        ids = list(dict.fromkeys(face_ids))
        associated: list[str] = []
        failed: dict[str, tuple[str, ...]] = {}
        status: str | None = None
        for start in range(0, len(ids), _ASSOCIATE_BATCH):
            response = self._call(
                Operation.ASSOCIATE_FACES, UserId=user_id, FaceIds=ids[start : start + _ASSOCIATE_BATCH]
            )
            associated.extend(f["FaceId"] for f in response.get("AssociatedFaces", ()))
            for item in response.get("UnsuccessfulFaceAssociations", ()):
                failed[item["FaceId"]] = tuple(item.get("Reasons", ()))
            status = response.get("UserStatus", status)
        return AssociateResult(tuple(associated), failed, status)

    def disassociate_faces(self, user_id: str, face_ids: Sequence[str]) -> AssociateResult:
        """Takes faces away from a user, 100 per call; says which failed and why."""
        _check_user_id(user_id)
        ids = list(dict.fromkeys(face_ids))
        done: list[str] = []
        failed: dict[str, tuple[str, ...]] = {}
        status: str | None = None
        for start in range(0, len(ids), _ASSOCIATE_BATCH):
            response = self._call(
                Operation.DISASSOCIATE_FACES, UserId=user_id, FaceIds=ids[start : start + _ASSOCIATE_BATCH]
            )
            done.extend(f["FaceId"] for f in response.get("DisassociatedFaces", ()))
            for item in response.get("UnsuccessfulFaceDisassociations", ()):
                failed[item["FaceId"]] = tuple(item.get("Reasons", ()))
            status = response.get("UserStatus", status)
        return AssociateResult(tuple(done), failed, status)

    def delete_user(self, user_id: str) -> bool:
        """Deletes a user (its faces stay in the collection, unassociated); False if it did not exist."""
        try:
            self._call(Operation.DELETE_USER, UserId=_check_user_id(user_id))
        except RekognitionRequestError as error:
            if error.code == "ResourceNotFoundException":
                return False
            raise
        return True

    def search_users(self, face_id: str, threshold: float = 80.0, max_users: int = 5) -> list[UserMatch]:
        """Users whose faces match ``face_id``, most similar first."""
        response = self._call(
            Operation.SEARCH_USERS, FaceId=face_id, UserMatchThreshold=float(threshold), MaxUsers=max_users
        )
        matches = [
            UserMatch(m["User"]["UserId"], float(m.get("Similarity", 0.0)))
            for m in response.get("UserMatches", ())
            if "UserId" in m.get("User", {})
        ]
        return sorted(matches, key=lambda m: -m.similarity)
