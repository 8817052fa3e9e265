"""A Rekognition-compatible HTTP server for tests and benchmarks; never talks to AWS.

It speaks the service's JSON 1.1 protocol (``POST /`` with
``X-Amz-Target: RekognitionService.<Operation>``), so a real boto3 client
reaches it through ``AWS_ENDPOINT_URL_REKOGNITION``. Answers are canned but
depend on the input: labels, faces and text derive from a hash of the image,
and collections, faces and users are kept in memory so that IndexFaces,
SearchFaces, AssociateFaces, DisassociateFaces, DeleteUser and SearchUsers agree with
each other.

Faults: latency, a throttle / 500 / connection reset on every Nth call,
scripted errors for the next calls, rejected or denied access keys, an outage
after the Nth answer (``go_down_after``, ``restore``), and a real stop and
start again on the same port with everything it holds kept.

``per_image`` counts answered calls per (image digest, operation), so a test
can check that no photo's call was paid for twice.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_LABELS = (
    ("Dog", ("Animal", "Pet", "Mammal"), ("Canine",), "Animals and Pets", True),
    ("Beach", ("Nature", "Outdoors"), ("Coast",), "Nature and Outdoors", False),
    ("Person", (), ("Human",), "Person Description", True),
    ("Car", ("Vehicle", "Transportation"), ("Automobile",), "Vehicles and Automotive", True),
    ("Mountain", ("Nature", "Outdoors"), (), "Nature and Outdoors", False),
    ("Cake", ("Food", "Dessert"), (), "Food and Beverage", True),
)
_WORDS = ("STOP", "EXIT", "OPEN", "CAFE", "HELLO", "WORLD", "SALE", "PARIS")
_EMOTIONS = ("HAPPY", "CALM", "SAD", "SURPRISED", "CONFUSED", "ANGRY", "DISGUSTED", "FEAR")
FACE_MODEL_VERSION = "7.0"


class Outage(Exception):
    """The service is unreachable: the connection is reset without an answer."""


class ServiceError(Exception):
    def __init__(self, code: str, message: str = "", status: int = 400) -> None:
        super().__init__(message or code)
        self.code = code
        self.status = status


def _box(seed: int, i: int) -> dict[str, float]:
    left = ((seed >> (i * 3)) % 60) / 100
    top = ((seed >> (i * 5 + 1)) % 60) / 100
    return {"Width": 0.2, "Height": 0.25, "Left": left, "Top": top}


def _value(value: Any, confidence: float = 95.0) -> dict[str, Any]:
    return {"Value": value, "Confidence": confidence}


class _Collection:
    def __init__(self) -> None:
        self.faces: dict[str, dict[str, Any]] = {}  # FaceId -> {"signature": int, "user": str | None}
        self.users: dict[str, set[str]] = {}


class FakeRekognition:
    """The server; use as a context manager or ``start()``/``stop()``. ``url`` is its endpoint.

    ``throttle_every``/``error_every``/``reset_every`` = N make every Nth call
    overall (counting from 1) fail that way; ``calls`` counts requests per
    operation including failed ones, ``served`` only those answered 200.
    """

    def __init__(
        self,
        *,
        latency: float = 0.0,
        throttle_every: int = 0,
        error_every: int = 0,
        reset_every: int = 0,
        reject_keys: tuple[str, ...] = (),
        deny_keys: tuple[str, ...] = (),
    ) -> None:
        self.latency = latency
        self.throttle_every = throttle_every
        self.error_every = error_every
        self.reset_every = reset_every
        self.reject_keys = set(reject_keys)
        self.deny_keys = set(deny_keys)
        self.calls: Counter[str] = Counter()
        self.served: Counter[str] = Counter()
        self.per_image: Counter[tuple[str, str]] = Counter()  # (image sha256 hex, operation) answered
        self.down = False  # an outage: every connection is reset until restore()
        self.active = 0  # requests being answered now
        # Cleared: calls with an image wait until it is set again (to hold several clients' calls at once).
        self.gate = threading.Event()
        self.gate.set()
        self.waiting_apps: set[str] = set()  # "app/..." user-agent parts (AWS_SDK_UA_APP_ID) held by the gate
        self._down_after: int | None = None
        self._port = 0
        self.regions: set[str] = set()
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.collections: dict[str, _Collection] = {}
        self._scripted: deque[tuple[str | None, str, int]] = deque()
        self._lock = threading.Lock()
        self._n = 0
        self._connections: set[socket.socket] = set()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def total_calls(self) -> int:
        return sum(self.calls.copy().values())

    def fail_next(self, code: str, status: int = 400, times: int = 1, operation: str | None = None) -> None:
        """The next ``times`` calls (of ``operation``, or any) answer ``code``; "RESET" drops them."""
        with self._lock:
            self._scripted.extend([(operation, code, status)] * times)

    def go_down_after(self, answers: int) -> None:
        """After ``answers`` more answered calls, every call fails as if the service were unreachable."""
        with self._lock:
            self._down_after = sum(self.served.values()) + answers
            self.down = answers <= 0

    def restore(self) -> None:
        """Ends an outage."""
        with self._lock:
            self.down = False
            self._down_after = None

    def served_twice(self) -> dict[tuple[str, str], int]:
        """(image digest, operation) answered more than once: a photo's call paid for twice."""
        with self._lock:
            return {key: n for key, n in self.per_image.items() if n > 1}

    def start(self) -> FakeRekognition:
        """Starts serving; after stop(), starts again on the same port with every collection kept."""
        server = self

        class Handler(_Handler):
            fake = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._port = self._httpd.server_address[1]
        # Request threads are joined on stop (no thread outlives the server).
        self._httpd.daemon_threads = False
        self._httpd.block_on_close = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="fake-rekognition", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self.gate.set()  # no request thread may wait forever
        self._httpd.shutdown()
        # A request being answered is answered before its connection closes: like the real service, the fake
        # bills when it answers, so cutting an answer half-sent made "billed" count a call no client received.
        deadline = time.monotonic() + 10
        while self.active and time.monotonic() < deadline:
            time.sleep(0.005)
        # Clients keep connections alive; closing them ends the threads waiting on them.
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        self._httpd = None

    def __enter__(self) -> FakeRekognition:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _fault(self, operation: str) -> tuple[str, int] | None:
        with self._lock:
            self._n += 1
            n = self._n
            self.calls[operation] += 1
            for i, (op, code, status) in enumerate(self._scripted):
                if op in (None, operation):
                    del self._scripted[i]
                    return code, status
        if self.reset_every and n % self.reset_every == 0:
            return "RESET", 0
        if self.throttle_every and n % self.throttle_every == 0:
            return "ThrottlingException", 400
        if self.error_every and n % self.error_every == 0:
            return "InternalServerError", 500
        return None

    def handle(self, operation: str, access_key: str | None, body: dict[str, Any]) -> dict[str, Any]:
        if self.latency:
            time.sleep(self.latency)
        if access_key is None:
            raise ServiceError("MissingAuthenticationTokenException", "Missing Authentication Token")
        if access_key in self.reject_keys:
            raise ServiceError(
                "UnrecognizedClientException", "The security token included in the request is invalid."
            )
        if access_key in self.deny_keys:
            raise ServiceError(
                "AccessDeniedException", f"User is not authorized to perform: rekognition:{operation}"
            )
        method: Callable[[dict[str, Any]], dict[str, Any]] | None = getattr(self, f"op_{operation}", None)
        if method is None:
            raise ServiceError("UnknownOperationException", f"{operation} is not supported by the fake")
        with self._lock:
            if self.down:  # went down while this request waited: decided with the count, not before it
                raise Outage
            self.requests.append((operation, body))
            response = method(body)
            self.served[operation] += 1
            image = (body.get("Image") or {}).get("Bytes")
            if image:
                self.per_image[(hashlib.sha256(image.encode()).hexdigest()[:16], operation)] += 1
            if self._down_after is not None and sum(self.served.values()) >= self._down_after:
                self.down, self._down_after = True, None
        return response

    @staticmethod
    def _image(body: dict[str, Any]) -> bytes:
        image = body.get("Image") or {}
        if "Bytes" not in image:
            raise ServiceError("InvalidParameterException", "Request has invalid parameters")
        data = base64.b64decode(image["Bytes"])
        if len(data) > 5 * 1024 * 1024:
            raise ServiceError("ImageTooLargeException", "Image size is too large.")
        if not (data.startswith(b"\xff\xd8\xff") or data.startswith(b"\x89PNG\r\n\x1a\n")):
            raise ServiceError("InvalidImageFormatException", "Request has unsupported image format")
        return data

    @staticmethod
    def _seed(data: bytes) -> int:
        return int.from_bytes(hashlib.sha256(data).digest()[:8], "big")

    def _collection(self, body: dict[str, Any]) -> _Collection:
        cid = body.get("CollectionId", "")
        if cid not in self.collections:
            raise ServiceError("ResourceNotFoundException", f"The collection id: {cid} does not exist")
        return self.collections[cid]

    @staticmethod
    def _face_detail(seed: int, i: int) -> dict[str, Any]:
        emotions = [{"Type": e, "Confidence": 90.0 / (k + 1)} for k, e in enumerate(_EMOTIONS[i % 3 :][:3])]
        return {
            "BoundingBox": _box(seed, i),
            "AgeRange": {"Low": 20 + i * 5, "High": 30 + i * 5},
            "Smile": _value(bool(seed >> i & 1)),
            "Eyeglasses": _value(False),
            "Sunglasses": _value(False),
            "Gender": _value("Female" if seed >> (i + 2) & 1 else "Male"),
            "Beard": _value(False),
            "Mustache": _value(False),
            "EyesOpen": _value(True),
            "MouthOpen": _value(False),
            "Emotions": emotions,
            "Landmarks": [{"Type": "eyeLeft", "X": 0.3, "Y": 0.4}, {"Type": "eyeRight", "X": 0.5, "Y": 0.4}],
            "Pose": {"Roll": 1.5, "Yaw": -3.0, "Pitch": 2.0},
            "Quality": {"Brightness": 80.0, "Sharpness": 90.0},
            "Confidence": 99.9,
            "FaceOccluded": _value(False),
            "EyeDirection": {"Yaw": 1.0, "Pitch": -2.0, "Confidence": 99.0},
        }

    def op_DetectLabels(self, body: dict[str, Any]) -> dict[str, Any]:
        seed = self._seed(self._image(body))
        labels = []
        for i in range(1 + seed % 3):
            name, parents, aliases, category, has_box = _LABELS[(seed >> (i * 4)) % len(_LABELS)]
            if any(label["Name"] == name for label in labels):
                continue
            labels.append(
                {
                    "Name": name,
                    "Confidence": 99.0 - i * 7,
                    "Instances": [{"BoundingBox": _box(seed, i), "Confidence": 95.0}] if has_box else [],
                    "Parents": [{"Name": p} for p in parents],
                    "Aliases": [{"Name": a} for a in aliases],
                    "Categories": [{"Name": category}],
                }
            )
        return {"Labels": labels, "LabelModelVersion": "3.0"}

    def op_IndexFaces(self, body: dict[str, Any]) -> dict[str, Any]:
        data = self._image(body)
        collection = self._collection(body)
        seed = self._seed(data)
        records = []
        for i in range(seed % 3):
            face_id = str(uuid.uuid4())
            signature = (seed >> (i * 8)) % 5
            collection.faces[face_id] = {"signature": signature, "user": None}
            detail = self._face_detail(seed, i)
            face = {
                "FaceId": face_id,
                "BoundingBox": detail["BoundingBox"],
                "ImageId": str(uuid.UUID(int=seed << 64 | seed)),
                "Confidence": 99.9,
            }
            records.append({"Face": face, "FaceDetail": detail})
        return {"FaceRecords": records, "FaceModelVersion": FACE_MODEL_VERSION, "UnindexedFaces": []}

    def op_DetectText(self, body: dict[str, Any]) -> dict[str, Any]:
        seed = self._seed(self._image(body))
        detections: list[dict[str, Any]] = []
        line_words = []
        for line in range(seed % 3):
            words = [_WORDS[(seed >> (line * 6 + k * 3)) % len(_WORDS)] for k in range(2)]
            line_words.append(words)
            geometry = {"BoundingBox": _box(seed, line), "Polygon": [{"X": 0.1, "Y": 0.1}]}
            detections.append(
                {
                    "DetectedText": " ".join(words),
                    "Type": "LINE",
                    "Id": line,
                    "Confidence": 98.0,
                    "Geometry": geometry,
                }
            )
        next_id = len(line_words)
        for line, words in enumerate(line_words):
            for word in words:
                detections.append(
                    {
                        "DetectedText": word,
                        "Type": "WORD",
                        "Id": next_id,
                        "ParentId": line,
                        "Confidence": 97.0,
                        "Geometry": {"BoundingBox": _box(seed, line)},
                    }
                )
                next_id += 1
        return {"TextDetections": detections, "TextModelVersion": "3.0"}

    def op_DetectModerationLabels(self, body: dict[str, Any]) -> dict[str, Any]:
        seed = self._seed(self._image(body))
        labels = []
        if seed % 4 == 0:
            labels = [
                {"Confidence": 88.0, "Name": "Swimwear or Underwear", "ParentName": "", "TaxonomyLevel": 1},
                {
                    "Confidence": 85.0,
                    "Name": "Swimwear",
                    "ParentName": "Swimwear or Underwear",
                    "TaxonomyLevel": 2,
                },
            ]
        return {"ModerationLabels": labels, "ModerationModelVersion": "7.0"}

    def op_RecognizeCelebrities(self, body: dict[str, Any]) -> dict[str, Any]:
        seed = self._seed(self._image(body))
        face = {"BoundingBox": _box(seed, 0), "Confidence": 99.0}
        celebrities = []
        if seed % 2:
            celebrities.append(
                {
                    "Urls": ["www.imdb.com/name/nm0000001"],
                    "Name": "Famous Person",
                    "Id": f"celeb{seed % 1000}",
                    "Face": face,
                    "MatchConfidence": 97.5,
                    "KnownGender": {"Type": "Female"},
                }
            )
        return {"CelebrityFaces": celebrities, "UnrecognizedFaces": [] if seed % 2 else [face]}

    def op_CreateCollection(self, body: dict[str, Any]) -> dict[str, Any]:
        cid = body["CollectionId"]
        if cid in self.collections:
            raise ServiceError("ResourceAlreadyExistsException", f"The collection id: {cid} already exists")
        self.collections[cid] = _Collection()
        arn = f"aws:rekognition:us-east-1:123456789012:collection/{cid}"
        return {"StatusCode": 200, "CollectionArn": arn, "FaceModelVersion": FACE_MODEL_VERSION}

    def op_DeleteCollection(self, body: dict[str, Any]) -> dict[str, Any]:
        self._collection(body)
        del self.collections[body["CollectionId"]]
        return {"StatusCode": 200}

    def op_ListCollections(self, body: dict[str, Any]) -> dict[str, Any]:
        ids = sorted(self.collections)[: body.get("MaxResults", 1000)]
        return {"CollectionIds": ids, "FaceModelVersions": [FACE_MODEL_VERSION] * len(ids)}

    def op_CreateUser(self, body: dict[str, Any]) -> dict[str, Any]:
        collection = self._collection(body)
        if body["UserId"] in collection.users:
            raise ServiceError("ConflictException", "A User with the same Id already exists")
        collection.users[body["UserId"]] = set()
        return {}

    def op_AssociateFaces(self, body: dict[str, Any]) -> dict[str, Any]:
        collection = self._collection(body)
        user = body["UserId"]
        if user not in collection.users:
            raise ServiceError("ResourceNotFoundException", f"The user {user} does not exist")
        associated, failed = [], []
        for face_id in body["FaceIds"]:
            face = collection.faces.get(face_id)
            if face is None:
                failed.append({"FaceId": face_id, "Reasons": ["FACE_NOT_FOUND"]})
            elif face["user"] not in (None, user):
                failed.append(
                    {"FaceId": face_id, "UserId": face["user"], "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"]}
                )
            else:
                face["user"] = user
                collection.users[user].add(face_id)
                associated.append({"FaceId": face_id})
        return {"AssociatedFaces": associated, "UnsuccessfulFaceAssociations": failed, "UserStatus": "ACTIVE"}

    def op_DisassociateFaces(self, body: dict[str, Any]) -> dict[str, Any]:
        collection = self._collection(body)
        user = body["UserId"]
        if user not in collection.users:
            raise ServiceError("ResourceNotFoundException", f"The user {user} does not exist")
        done, failed = [], []
        for face_id in body["FaceIds"]:
            face = collection.faces.get(face_id)
            if face is None:
                failed.append({"FaceId": face_id, "Reasons": ["FACE_NOT_FOUND"]})
            elif face["user"] != user:
                failed.append(
                    {"FaceId": face_id, "UserId": user, "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"]}
                )
            else:
                face["user"] = None
                collection.users[user].discard(face_id)
                done.append({"FaceId": face_id})
        return {"DisassociatedFaces": done, "UnsuccessfulFaceDisassociations": failed, "UserStatus": "ACTIVE"}

    def op_DeleteUser(self, body: dict[str, Any]) -> dict[str, Any]:
        collection = self._collection(body)
        faces = collection.users.pop(body["UserId"], None)
        if faces is None:
            raise ServiceError("ResourceNotFoundException", f"The user {body['UserId']} does not exist")
        for face_id in faces:  # the service lets go of a deleted user's faces
            collection.faces[face_id]["user"] = None
        return {}

    def _face(self, collection: _Collection, face_id: str) -> dict[str, Any]:
        if face_id not in collection.faces:
            raise ServiceError("InvalidParameterException", f"Face {face_id} is not in the collection")
        return collection.faces[face_id]

    def op_SearchFaces(self, body: dict[str, Any]) -> dict[str, Any]:
        collection = self._collection(body)
        face = self._face(collection, body["FaceId"])
        matches = [
            {"Similarity": 99.0 - k * 0.5, "Face": {"FaceId": other, "Confidence": 99.9}}
            for k, (other, data) in enumerate(sorted(collection.faces.items()))
            if other != body["FaceId"] and data["signature"] == face["signature"]
        ]
        matches = [m for m in matches if m["Similarity"] >= body.get("FaceMatchThreshold", 80.0)]
        return {
            "SearchedFaceId": body["FaceId"],
            "FaceMatches": matches[: body.get("MaxFaces", 100)],
            "FaceModelVersion": FACE_MODEL_VERSION,
        }

    def op_SearchUsers(self, body: dict[str, Any]) -> dict[str, Any]:
        collection = self._collection(body)
        face = self._face(collection, body["FaceId"])
        matches = []
        for user, faces in sorted(collection.users.items()):
            similar = [f for f in faces if collection.faces[f]["signature"] == face["signature"]]
            if similar:
                similarity = 90.0 + 9.0 * len(similar) / max(1, len(faces))
                matches.append({"Similarity": similarity, "User": {"UserId": user, "UserStatus": "ACTIVE"}})
        return {
            "UserMatches": matches[: body.get("MaxUsers", 5)],
            "FaceModelVersion": FACE_MODEL_VERSION,
            "SearchedFace": {"FaceId": body["FaceId"]},
        }

    def op_DeleteFaces(self, body: dict[str, Any]) -> dict[str, Any]:
        collection = self._collection(body)
        deleted, failed = [], []
        for face_id in body["FaceIds"]:
            face = collection.faces.pop(face_id, None)
            if face is None:
                failed.append({"FaceId": face_id, "Reasons": ["FACE_NOT_FOUND"]})
                continue
            deleted.append(face_id)
            if face["user"]:
                collection.users[face["user"]].discard(face_id)
        return {"DeletedFaces": deleted, "UnsuccessfulFaceDeletions": failed}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeRekognition
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def setup(self) -> None:
        super().setup()
        with self.fake._lock:
            self.fake._connections.add(self.connection)

    def finish(self) -> None:
        with self.fake._lock:
            self.fake._connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def do_POST(self) -> None:
        with self.fake._lock:
            self.fake.active += 1
        try:
            self._answer()
        finally:
            with self.fake._lock:
                self.fake.active -= 1

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        if not self.fake.gate.is_set() and b'"Image"' in raw:
            apps = [part for part in self.headers.get("User-Agent", "").split() if part.startswith("app/")]
            with self.fake._lock:
                self.fake.waiting_apps.update(apps)
            self.fake.gate.wait()
        target = self.headers.get("X-Amz-Target", "")
        operation = target.removeprefix("RekognitionService.")
        access_key = None
        auth = self.headers.get("Authorization", "")
        if "Credential=" in auth:
            scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
            access_key = scope[0]
            if len(scope) > 2:
                with self.fake._lock:
                    self.fake.regions.add(scope[2])
        fault = self.fake._fault(operation)
        if self.fake.down:
            fault = ("RESET", 0)
        if fault is not None and fault[0] == "RESET":
            self._reset()
            return
        try:
            if not target.startswith("RekognitionService."):
                raise ServiceError("UnknownOperationException", f"bad X-Amz-Target {target!r}")
            if fault is not None:
                if self.fake.latency:
                    time.sleep(self.fake.latency)
                raise ServiceError(fault[0], f"injected {fault[0]}", fault[1])
            body = json.loads(raw or b"{}")
            self._send(200, self.fake.handle(operation, access_key, body))
        except Outage:
            self._reset()
        except ServiceError as error:
            self._send(error.status, {"__type": error.code, "Message": str(error)}, error.code)

    def _send(self, status: int, payload: dict[str, Any], error_type: str | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        self.end_headers()
        self.wfile.write(data)

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send a TCP RST instead of a FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
