"""People on Amazon Rekognition: faces are FaceIds in the library's collection, people are its users.

Faces of the ``"rekognition"`` backend carry no vector here, only the FaceId that
IndexFaces returned (``faces.external_id``); the service compares them:

- grouping asks SearchFaces for each new face and keeps the answers that are in the pool;
- a named person is a Rekognition user (CreateUser, then AssociateFaces, 100 FaceIds a call),
  and a face is matched to people with SearchUsers, so the service's own user vectors decide;
- a face moved or split away leaves its old user (DisassociateFaces); a person merged away or
  forgotten takes its user along (DeleteUser, which lets go of the user's faces);
- forgetting deletes the faces (DeleteFaces) or the whole collection (DeleteCollection).

Similarities (0-100) become scores (0-1) and bands through the ``REKOGNITION_*`` thresholds.
Every search is a billed call, so each FaceId is searched at most once per question, and
when fewer faces belong to people than are asked about (naming a cluster in a big library)
the people's faces are searched instead and only the faces they find are asked about.

A FaceId the collection no longer holds (InvalidParameterException) is skipped; a missing
collection (ResourceNotFoundException) means there is nothing to compare with. Other
failures (credentials, network) propagate as the analysis errors of ``client.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

from photosorter.core.analysis.rekognition.client import RekognitionRequestError
from photosorter.core.analysis.rekognition.collection import FaceCollection, FaceMatch
from photosorter.core.catalog.people import FaceSet
from photosorter.core.faces import thresholds
from photosorter.core.faces.service import Band, Match

USER_PREFIX = "photosorter-person-"
_MAX_USERS = 10  # users per SearchUsers answer: room for users of people deleted here but not there
_T = TypeVar("_T")


class _NoCollection(Exception):
    """The collection does not exist (never created, or deleted): no face can match."""


def user_id_for(person_id: int) -> str:
    """A new Rekognition user id for a person: our id, plus a random part because SQLite
    reuses the id of a deleted person and the old user may still hold that person's faces."""
    return f"{USER_PREFIX}{int(person_id)}-{uuid.uuid4().hex[:8]}"


def _by_face_id(faces: FaceSet) -> dict[str, list[int]]:
    """FaceId -> indexes into ``faces`` (a list: a re-analysed copy may repeat a FaceId)."""
    index: dict[str, list[int]] = {}
    for i, external in enumerate(faces.external_ids):
        if external:
            index.setdefault(external, []).append(i)
    return index


class RekognitionFaceService:
    """The FaceService of faces indexed into one Rekognition collection. One caller at a time."""

    backend = "rekognition"

    def __init__(
        self,
        collection: FaceCollection,
        cluster_similarity: float = thresholds.REKOGNITION_CLUSTER_SIMILARITY,
        auto_similarity: float = thresholds.REKOGNITION_AUTO_SIMILARITY,
        suggest_similarity: float = thresholds.REKOGNITION_SUGGEST_SIMILARITY,
        max_matches: int = thresholds.REKOGNITION_MAX_MATCHES,
    ) -> None:
        self.collection = collection
        self.cluster_similarity = cluster_similarity
        self.auto_similarity = auto_similarity
        self.suggest_similarity = suggest_similarity
        self.max_matches = max_matches
        # Clustering asks neighbours() twice about the same new faces (existing clusters, then
        # each other); SearchFaces searches the whole collection, so one answer serves both.
        self._searched: dict[str, list[FaceMatch]] = {}
        self._searched_for: tuple[str | None, ...] | None = None
        self._associated: set[tuple[str, str]] = set()  # (user, FaceId) already sent

    # -- calls ---------------------------------------------------------------------------------------------

    def _ask(self, call: Callable[[str], list[_T]], face_id: str) -> list[_T]:
        try:
            return call(face_id)
        except RekognitionRequestError as error:
            if error.code == "ResourceNotFoundException":
                raise _NoCollection from error
            if error.code == "InvalidParameterException":  # FaceId not in the collection (any more)
                return []
            raise

    def _similar_faces(self, face_id: str, cache: dict[str, list[FaceMatch]]) -> list[FaceMatch]:
        """SearchFaces at the lower of the two thresholds, so grouping and matching share answers."""
        if face_id not in cache:
            threshold = min(self.cluster_similarity, self.suggest_similarity)
            cache[face_id] = self._ask(
                lambda f: self.collection.search_faces(f, threshold=threshold, max_faces=self.max_matches),
                face_id,
            )
        return cache[face_id]

    def _band(self, similarity: float) -> Band | None:
        if similarity >= self.auto_similarity:
            return "auto"
        return "suggestion" if similarity >= self.suggest_similarity else None

    # -- FaceService ---------------------------------------------------------------------------------------

    def neighbours(self, faces: FaceSet, pool: FaceSet, same: bool = False) -> list[tuple[int, int, float]]:
        if not len(faces) or not len(pool):
            return []
        if faces.external_ids != self._searched_for:
            self._searched, self._searched_for = {}, faces.external_ids
        in_pool = _by_face_id(pool)
        best: dict[tuple[int, int], float] = {}
        try:
            for face_id, rows in _by_face_id(faces).items():
                for match in self._similar_faces(face_id, self._searched):
                    if match.similarity < self.cluster_similarity:
                        continue
                    for i in rows:
                        for j in in_pool.get(match.face_id, ()):
                            if same and i == j:
                                continue
                            # SearchFaces need not be symmetric: with ``same`` keep each pair once
                            key = (min(i, j), max(i, j)) if same else (i, j)
                            best[key] = max(best.get(key, 0.0), match.similarity / 100.0)
        except _NoCollection:
            return []
        return [(i, j, score) for (i, j), score in sorted(best.items())]

    def match_people(self, faces: FaceSet, refs: FaceSet, users: Mapping[int, str]) -> list[Match]:
        if not len(faces) or not len(refs):
            return []
        wanted = set(refs.person.tolist())
        person_of_user = {user: person for person, user in users.items() if person in wanted}
        asking = _by_face_id(faces)
        ref_faces = _by_face_id(refs)
        unsynced = wanted - set(person_of_user.values())
        best: dict[tuple[int, int], float] = {}  # (face index, person) -> similarity

        def note(rows: Iterable[int], person: int, similarity: float) -> None:
            for i in rows:
                best[(i, person)] = max(best.get((i, person), 0.0), similarity)

        cache: dict[str, list[FaceMatch]] = {}
        try:
            if len(ref_faces) < len(asking):
                # Few people's faces, many open faces: search from the people's side, then ask
                # SearchUsers only about the faces found.
                found: set[str] = set()
                for ref_id, ref_rows in ref_faces.items():
                    person = int(refs.person[ref_rows[0]])
                    for match in self._similar_faces(ref_id, cache):
                        if match.face_id in asking and match.similarity >= self.suggest_similarity:
                            found.add(match.face_id)
                            if person in unsynced:
                                note(asking[match.face_id], person, match.similarity)
                asked = [f for f in asking if f in found]
            else:
                asked = list(asking)
                if unsynced:  # people Rekognition has no user for (yet): their nearest face decides
                    person_of_face = {
                        ref_id: int(refs.person[rows[0]])
                        for ref_id, rows in ref_faces.items()
                        if int(refs.person[rows[0]]) in unsynced
                    }
                    for face_id in asked:
                        for match in self._similar_faces(face_id, cache):
                            person = person_of_face.get(match.face_id)
                            if person is not None:
                                note(asking[face_id], person, match.similarity)
            if person_of_user:
                threshold = self.suggest_similarity
                for face_id in asked:
                    users_found = self._ask(
                        lambda f: self.collection.search_users(f, threshold=threshold, max_users=_MAX_USERS),
                        face_id,
                    )
                    for user in users_found:
                        person = person_of_user.get(user.user_id)
                        if person is not None:
                            note(asking[face_id], person, user.similarity)
        except _NoCollection:
            return []
        matches = []
        for (i, person), similarity in sorted(best.items()):
            band = self._band(similarity)
            if band is not None:
                matches.append(Match(i, person, similarity / 100.0, band))
        return matches

    def sync_person(self, person_id: int, user_id: str | None, face_ids: Sequence[str]) -> str | None:
        """Makes sure the person is a user of the collection holding ``face_ids``; returns the user id."""
        ids = list(dict.fromkeys(f for f in face_ids if f))
        if not ids:
            return user_id
        user = user_id or user_id_for(person_id)
        fresh = [f for f in ids if (user, f) not in self._associated]
        if not fresh:
            return user
        try:
            if user_id is None:
                self.collection.create_user(user)
            try:
                result = self.collection.associate_faces(user, fresh)
            except RekognitionRequestError as error:
                if error.code != "ResourceNotFoundException":
                    raise
                # The user is gone (deleted with the collection, which was made again): make it anew.
                self.collection.create_user(user)
                result = self.collection.associate_faces(user, fresh)
        except RekognitionRequestError as error:
            if error.code == "ResourceNotFoundException":  # no collection: these faces are gone too
                return user_id
            raise
        # A face another user holds (a person merged here) or that was deleted stays unassociated:
        # matching still works through the user's other faces.
        self._associated.update((user, f) for f in result.associated)
        return user

    def release_faces(self, user_id: str, external_ids: Sequence[str]) -> None:
        ids = list(dict.fromkeys(f for f in external_ids if f))
        if not ids:
            return
        try:
            self.collection.disassociate_faces(user_id, ids)
        except RekognitionRequestError as error:
            if error.code != "ResourceNotFoundException":  # no user or no collection: nothing is held
                raise
        # A face the user did not hold comes back as unsuccessful, which is what we wanted anyway.
        gone = set(ids)
        self._associated = {(u, f) for u, f in self._associated if u != user_id or f not in gone}

    def delete_user(self, user_id: str) -> None:
        try:
            self.collection.delete_user(user_id)
        except RekognitionRequestError as error:
            if error.code != "ResourceNotFoundException":  # no collection: no user either
                raise
        self._associated = {(u, f) for u, f in self._associated if u != user_id}

    def forget_faces(self, external_ids: Sequence[str]) -> None:
        ids = [f for f in external_ids if f]
        if not ids:
            return
        try:
            self.collection.delete_faces(ids)
        except RekognitionRequestError as error:
            if error.code != "ResourceNotFoundException":  # no collection: nothing left to delete
                raise
        gone = set(ids)
        self._associated = {(u, f) for u, f in self._associated if f not in gone}
        self._searched, self._searched_for = {}, None

    def forget_all(self) -> None:
        self.collection.delete_collection()
        self._associated.clear()
        self._searched, self._searched_for = {}, None
