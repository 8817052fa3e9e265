"""People on Rekognition: SearchFaces groups, users (CreateUser, AssociateFaces, SearchUsers) match,
DisassociateFaces / DeleteUser keep users in step with moves, splits, merges and undo,
DeleteFaces / DeleteCollection forget. Botocore's Stubber checks each call against the service
model; one end-to-end run goes through the fake server (tests/rekognition_server.py). No AWS."""

from __future__ import annotations

import io

import numpy as np
import pytest
from botocore.stub import ANY, Stubber
from PIL import Image

from photosorter.core import faces
from photosorter.core.analysis.rekognition import FaceCollection, RekognitionAnalyzer, RekognitionClient
from photosorter.core.analysis.types import Feature
from photosorter.core.catalog import people as people_rows
from photosorter.core.catalog.analysis import results_for, store_result
from photosorter.core.catalog.people import FaceRow, FaceSet
from photosorter.core.faces.rekognition_service import USER_PREFIX, RekognitionFaceService
from photosorter.core.faces.services import face_services
from photosorter.core.library import Library
from photosorter.core.settings import Settings
from rekognition_server import FakeRekognition

F = [f"00000000-0000-0000-0000-{n:012d}" for n in range(200)]  # FaceIds
COLLECTION = {"CollectionId": "library"}


@pytest.fixture
def service(client) -> RekognitionFaceService:
    return RekognitionFaceService(FaceCollection(RekognitionClient(client=client, rate_limit=0), "library"))


def face_set(
    external_ids: list[str], person: list[int] | None = None, photo: list[int] | None = None
) -> FaceSet:
    n = len(external_ids)
    return FaceSet(
        np.arange(1, n + 1, dtype=np.int64),
        np.asarray(photo if photo is not None else range(n), np.int64),
        np.asarray(person if person is not None else [-1] * n, np.int64),
        np.full(n, -1, np.int64),
        np.zeros((n, 0), np.float32),
        tuple(external_ids),
    )


def search_faces(stub: Stubber, face_id: str, matches: dict[str, float]) -> None:
    stub.add_response(
        "search_faces",
        {
            "SearchedFaceId": face_id,
            "FaceMatches": [{"Similarity": s, "Face": {"FaceId": f}} for f, s in matches.items()],
        },
        {**COLLECTION, "FaceId": face_id, "FaceMatchThreshold": 85.0, "MaxFaces": 100},
    )


def search_users(stub: Stubber, face_id: str, matches: dict[str, float]) -> None:
    stub.add_response(
        "search_users",
        {"UserMatches": [{"Similarity": s, "User": {"UserId": u}} for u, s in matches.items()]},
        {**COLLECTION, "FaceId": face_id, "UserMatchThreshold": 85.0, "MaxUsers": 10},
    )


# -- Stubber: every call checked against the real service model ------------------------------------------


def test_neighbours_come_from_search_faces_and_are_searched_once(
    stub: Stubber, service: RekognitionFaceService
) -> None:
    new = face_set([F[0], F[1], F[2]])
    pool = face_set([F[10], F[11]])
    search_faces(stub, F[0], {F[10]: 97.0, F[99]: 99.0, F[11]: 86.0, F[1]: 93.0})  # F[11]: below 90
    search_faces(stub, F[1], {F[0]: 92.0})
    search_faces(stub, F[2], {})
    assert service.neighbours(new, pool) == [(0, 0, pytest.approx(0.97))]
    # the second question about the same faces (each other) reuses the answers: no more calls
    assert service.neighbours(new, new, same=True) == [(0, 1, pytest.approx(0.93))]


def test_named_people_are_matched_with_search_users(stub: Stubber, service: RekognitionFaceService) -> None:
    open_faces = face_set([F[0], F[1]])
    refs = face_set([F[10], F[11], F[12]], person=[1, 1, 2], photo=[5, 6, 7])
    users = {1: "photosorter-person-1-aa", 2: "photosorter-person-2-bb"}
    search_users(stub, F[0], {"photosorter-person-1-aa": 97.0, "someone-else": 99.0})
    search_users(stub, F[1], {"photosorter-person-2-bb": 88.0, "photosorter-person-1-aa": 80.0})
    matches = service.match_people(open_faces, refs, users)
    assert [(m.index, m.person_id, m.band) for m in matches] == [(0, 1, "auto"), (1, 2, "suggestion")]
    assert matches[0].score == pytest.approx(0.97)


def test_few_named_faces_search_from_the_people_side(stub: Stubber, service: RekognitionFaceService) -> None:
    """Naming a small cluster in a big library: SearchFaces per named face, SearchUsers only for hits."""
    open_faces = face_set([F[0], F[1], F[2], F[3]])
    refs = face_set([F[10]], person=[1], photo=[9])
    search_faces(stub, F[10], {F[2]: 96.0, F[50]: 99.0})
    search_users(stub, F[2], {"photosorter-person-1-aa": 98.5})
    matches = service.match_people(open_faces, refs, {1: "photosorter-person-1-aa"})
    assert [(m.index, m.person_id, m.band) for m in matches] == [(2, 1, "auto")]


def test_a_person_without_a_user_is_matched_by_nearest_face(
    stub: Stubber, service: RekognitionFaceService
) -> None:
    open_faces = face_set([F[0]])
    refs = face_set([F[10], F[11]], person=[4, 4], photo=[5, 6])
    search_faces(stub, F[0], {F[11]: 90.0, F[40]: 99.0})
    (match,) = service.match_people(open_faces, refs, {})
    assert (match.person_id, match.band, match.score) == (4, "suggestion", pytest.approx(0.9))


def test_faces_or_collection_gone_are_skipped(stub: Stubber, service: RekognitionFaceService) -> None:
    stub.add_client_error("search_faces", "InvalidParameterException", "faceId was not found", 400)
    search_faces(stub, F[1], {F[0]: 95.0})
    assert service.neighbours(face_set([F[0], F[1]]), face_set([F[0]])) == [(1, 0, pytest.approx(0.95))]
    stub.add_client_error("search_users", "ResourceNotFoundException", "no collection", 400)
    assert service.match_people(face_set([F[0]]), face_set([F[1], F[2]], [1, 1]), {1: "u-1"}) == []


def test_syncing_a_person_creates_a_user_and_associates_in_batches(
    stub: Stubber, service: RekognitionFaceService
) -> None:
    stub.add_response("create_user", {}, {**COLLECTION, "UserId": ANY})
    for batch in (F[:100], F[100:150]):
        stub.add_response(
            "associate_faces",
            {"AssociatedFaces": [{"FaceId": f} for f in batch], "UserStatus": "UPDATING"},
            {**COLLECTION, "UserId": ANY, "FaceIds": batch},
        )
    user = service.sync_person(7, None, F[:150])
    assert user is not None and user.startswith(f"{USER_PREFIX}7-")
    assert service.sync_person(7, user, F[:150]) == user  # nothing new: no call
    stub.add_response(
        "associate_faces",
        {
            "AssociatedFaces": [],
            "UnsuccessfulFaceAssociations": [
                {"FaceId": F[150], "UserId": "other", "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"]}
            ],
        },
        {**COLLECTION, "UserId": user, "FaceIds": [F[150]]},
    )
    assert service.sync_person(7, user, F[:151]) == user  # a known user is not created again


def test_a_lost_user_is_created_again(stub: Stubber, service: RekognitionFaceService) -> None:
    stub.add_client_error("associate_faces", "ResourceNotFoundException", "no such user", 400)
    stub.add_response("create_user", {}, {**COLLECTION, "UserId": "photosorter-person-3-aa"})
    stub.add_response(
        "associate_faces",
        {"AssociatedFaces": [{"FaceId": F[0]}]},
        {**COLLECTION, "UserId": "photosorter-person-3-aa", "FaceIds": [F[0]]},
    )
    assert service.sync_person(3, "photosorter-person-3-aa", [F[0]]) == "photosorter-person-3-aa"


def test_forgetting_deletes_faces_or_the_collection(stub: Stubber, service: RekognitionFaceService) -> None:
    stub.add_response("delete_faces", {"DeletedFaces": [F[0], F[1]]}, {**COLLECTION, "FaceIds": [F[0], F[1]]})
    stub.add_response("delete_collection", {"StatusCode": 200}, COLLECTION)
    service.forget_faces([F[0], F[1]])
    service.forget_faces([])  # nothing: no call
    service.forget_all()


def test_face_services_factory(aws_env: None) -> None:
    local = face_services(Settings())
    assert set(local) == {"local"}
    with_analyzer = face_services(Settings(), RekognitionAnalyzer(region="us-east-1", collection_id="lib"))
    assert with_analyzer["rekognition"].backend == "rekognition"
    assert with_analyzer["rekognition"].collection.collection_id == "lib"  # type: ignore[attr-defined]
    assert set(face_services(Settings(), RekognitionAnalyzer(region="us-east-1"))) == {"local"}
    chosen = face_services(Settings(backend="rekognition", collection_id="mine"))
    assert chosen["rekognition"].collection.collection_id == "mine"  # type: ignore[attr-defined]
    assert set(face_services(Settings(), rekognition=True)) == {"local", "rekognition"}
    assert set(face_services(Settings(backend="rekognition"), rekognition=False)) == {"local"}


# -- end to end: the real boto3 client against the fake server -------------------------------------------


def jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (160, 120), (seed % 256, seed * 7 % 256, seed * 13 % 256)).save(out, "JPEG")
    return out.getvalue()


def images_with_one_face() -> dict[int, list[bytes]]:
    """Images on which the fake finds exactly one face, by the face's signature (same = same person)."""
    found: dict[int, list[bytes]] = {}
    for seed in range(400):
        data = jpeg(seed)
        n = FakeRekognition._seed(data)
        if n % 3 == 1:
            found.setdefault(n % 5, []).append(data)
    return found


def test_people_end_to_end_on_a_rekognition_collection(fake_rekognition: FakeRekognition, home) -> None:
    by_signature = images_with_one_face()
    alice, bob = [sig for sig, images in sorted(by_signature.items()) if len(images) >= 3][:2]
    rek = RekognitionAnalyzer(region="us-east-1", rate_limit=0, collection_id="library", max_attempts=2)
    services = face_services(Settings(backend="rekognition", collection_id="library"), rek)
    wanted = frozenset({Feature.FACES})

    def add(content: str, image: bytes) -> FaceRow:
        store_result(catalog, content, rek.analyze(image, wanted), {Feature.FACES: "test"})
        (face,) = results_for(catalog, content).faces
        return people_rows.face(catalog, face.id)

    with Library.open(home) as library:
        catalog = library.catalog
        a1, a2 = add("a1", by_signature[alice][0]), add("a2", by_signature[alice][1])
        add("b1", by_signature[bob][0])
        report = faces.cluster_new_faces(catalog, services)
        assert (report.faces, report.new_clusters, report.skipped_backends) == (3, 2, [])
        assert fake_rekognition.served["SearchFaces"] == 3  # once per face, though asked about twice

        named = faces.name_face(catalog, a1.id, "Alice", services)
        assert named.named == 2
        user = faces.person(catalog, "Alice").external_user_id
        assert user is not None and user.startswith(USER_PREFIX)
        assert fake_rekognition.collections["library"].users[user] == {a1.external_id, a2.external_id}

        a3 = add("a3", by_signature[alice][2])
        report = faces.cluster_new_faces(catalog, services)
        assert report.auto_assigned == 1
        assert results_for(catalog, "a3").faces[0].person == "Alice"
        assert results_for(catalog, "a3").faces[0].assigned_by == "auto"
        assert ("SearchUsers", a3.external_id) in [
            (op, body.get("FaceId")) for op, body in fake_rekognition.requests
        ]

        assert faces.forget(catalog, "Alice", services) == 3
        deleted = [body["FaceIds"] for op, body in fake_rekognition.requests if op == "DeleteFaces"]
        assert [sorted(ids) for ids in deleted] == [sorted(f.external_id for f in (a1, a2, a3))]
        assert fake_rekognition.collections["library"].faces.keys().isdisjoint(deleted[0])

        faces.forget_all(catalog, services)
        assert (
            fake_rekognition.served["DeleteCollection"] == 1 and "library" not in fake_rekognition.collections
        )
    rek.close()


# -- keeping users in step: DisassociateFaces, DeleteUser ------------------------------------------------


def test_disassociating_goes_in_batches_and_deleting_a_user(
    stub: Stubber, service: RekognitionFaceService
) -> None:
    user = "photosorter-person-7-aa"
    for batch in (F[:100], F[100:150]):
        stub.add_response(
            "disassociate_faces",
            {"DisassociatedFaces": [{"FaceId": f} for f in batch[1:]], "UserStatus": "UPDATING"},
            {**COLLECTION, "UserId": user, "FaceIds": batch},
        )
    stub.add_response(
        "disassociate_faces",
        {
            "DisassociatedFaces": [],
            "UnsuccessfulFaceDisassociations": [
                {"FaceId": F[150], "UserId": user, "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"]}
            ],
        },
        {**COLLECTION, "UserId": user, "FaceIds": [F[150]]},
    )
    stub.add_response("delete_user", {}, {**COLLECTION, "UserId": user})
    stub.add_client_error("delete_user", "ResourceNotFoundException", "no such user", 400)
    collection = service.collection
    result = collection.disassociate_faces(user, [*F[:150], F[0]])  # a repeated FaceId is sent once
    assert len(result.associated) == 148 and result.user_status == "UPDATING"
    failed = collection.disassociate_faces(user, [F[150]])
    assert failed.failed == {F[150]: ("ASSOCIATED_TO_A_DIFFERENT_USER",)}
    assert collection.delete_user(user) is True
    assert collection.delete_user(user) is False  # already gone
    with pytest.raises(ValueError):
        collection.delete_user("no spaces allowed")


def test_released_faces_are_associated_again_when_synced(
    stub: Stubber, service: RekognitionFaceService
) -> None:
    user = "photosorter-person-3-aa"
    associate = {"AssociatedFaces": [{"FaceId": F[0]}]}
    stub.add_response("associate_faces", associate, {**COLLECTION, "UserId": user, "FaceIds": [F[0]]})
    stub.add_response(
        "disassociate_faces",
        {"DisassociatedFaces": [{"FaceId": F[0]}]},
        {**COLLECTION, "UserId": user, "FaceIds": [F[0]]},
    )
    stub.add_client_error("disassociate_faces", "ResourceNotFoundException", "no such user", 400)
    stub.add_response("associate_faces", associate, {**COLLECTION, "UserId": user, "FaceIds": [F[0]]})
    stub.add_response("delete_user", {}, {**COLLECTION, "UserId": user})
    stub.add_client_error("delete_user", "ResourceNotFoundException", "no collection", 400)
    stub.add_response("associate_faces", associate, {**COLLECTION, "UserId": user, "FaceIds": [F[0]]})
    assert service.sync_person(3, user, [F[0]]) == user
    service.release_faces(user, [F[0], ""])
    service.release_faces(user, [F[0]])  # user gone: nothing to release, no error
    service.release_faces(user, [])  # nothing: no call
    assert service.sync_person(3, user, [F[0]]) == user  # released, so sent again
    service.delete_user(user)
    service.delete_user(user)  # gone already: no error
    assert service.sync_person(3, user, [F[0]]) == user


def test_the_local_service_sends_nothing() -> None:
    local = faces.LocalFaceService()
    assert local.release_faces("u", ["f"]) is None and local.delete_user("u") is None


def test_users_follow_moves_splits_merges_undo_and_forget(fake_rekognition: FakeRekognition, home) -> None:
    by_signature = images_with_one_face()
    alice, bob = [sig for sig, images in sorted(by_signature.items()) if len(images) >= 3][:2]
    rek = RekognitionAnalyzer(region="us-east-1", rate_limit=0, collection_id="library", max_attempts=2)
    services = face_services(Settings(backend="rekognition", collection_id="library"), rek)

    def users() -> dict[str, set[str]]:
        return fake_rekognition.collections["library"].users

    with Library.open(home) as library:
        catalog = library.catalog

        def add(content: str, image: bytes) -> FaceRow:
            store_result(
                catalog, content, rek.analyze(image, frozenset({Feature.FACES})), {Feature.FACES: "t"}
            )
            (face,) = results_for(catalog, content).faces
            return people_rows.face(catalog, face.id)

        a1, a2, a3 = (add(f"a{i}", by_signature[alice][i]) for i in range(3))
        b1, b2 = (add(f"b{i}", by_signature[bob][i]) for i in range(2))
        faces.cluster_new_faces(catalog, services)

        def user_of(name: str) -> str:
            user = faces.person(catalog, name).external_user_id
            assert user is not None
            return user

        def held(name: str) -> set[str]:
            return users()[user_of(name)]

        faces.name_face(catalog, a1.id, "Alice", services)
        faces.name_face(catalog, b1.id, "Bob", services)
        first_bob = user_of("Bob")
        faces.undo(catalog, services)  # Bob is unnamed again: his user goes
        assert first_bob not in users()
        faces.name_face(catalog, b1.id, "Bob", services)
        alice_faces, bob_faces = (
            {a1.external_id, a2.external_id, a3.external_id},
            {b1.external_id, b2.external_id},
        )
        assert (held("Alice"), held("Bob")) == (alice_faces, bob_faces)

        faces.move_face(catalog, a3.id, "Bob", services)
        assert (held("Alice"), held("Bob")) == (alice_faces - {a3.external_id}, bob_faces | {a3.external_id})
        faces.undo(catalog, services)
        assert (held("Alice"), held("Bob")) == (alice_faces, bob_faces)

        faces.remove_face(catalog, a2.id, services)
        assert held("Alice") == alice_faces - {a2.external_id}
        assert fake_rekognition.collections["library"].faces[a2.external_id]["user"] is None
        faces.undo(catalog, services)
        assert held("Alice") == alice_faces

        bob_user = user_of("Bob")
        faces.merge(catalog, "Bob", "Alice", services)
        assert bob_user not in users() and held("Alice") == alice_faces | bob_faces
        faces.undo(catalog, services)  # Bob comes back, and so does his user, under the same id
        assert user_of("Bob") == bob_user
        assert (held("Alice"), held("Bob")) == (alice_faces, bob_faces)

        assert faces.forget(catalog, "Bob", services) == 2
        assert bob_user not in users() and fake_rekognition.served["DeleteUser"] == 3
        assert [body["UserId"] for op, body in fake_rekognition.requests if op == "DeleteUser"][
            -1
        ] == bob_user
        assert held("Alice") == alice_faces
    rek.close()
