"""Small frozen records that cross layers (catalog → CLI/GUI). Never a sqlite3.Row or a Qt type."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class MediaKind(StrEnum):
    """What a library item is: a still photo or a video. Videos are items of the library like photos
    (one row in ``photos``, one content hash); the views and the analyzer ask this, never the extension."""

    PHOTO = "photo"
    VIDEO = "video"


@dataclass(frozen=True, slots=True)
class Folder:
    id: int
    path: str
    online: bool


@dataclass(frozen=True, slots=True)
class Photo:
    id: int
    folder_id: int
    path: str
    name: str
    size: int | None
    mtime_ns: int | None
    hash: str | None
    format: str | None
    width: int | None
    height: int | None
    taken_at: str | None
    taken_at_source: str | None
    camera_make: str | None
    camera_model: str | None
    latitude: float | None
    longitude: float | None
    orientation: int | None
    state: str
    error: str | None
    warnings: str | None = None  # metadata dropped at scan, and why ("GPS position dropped: ...")
    media: MediaKind = MediaKind.PHOTO
    duration_s: float | None = None  # videos only: the running time in seconds
    fps: float | None = None  # videos only: frames per second (the average, for a variable rate)
    codec: str | None = None  # videos only: the video codec as people name it ("H.264", "HEVC")
    rotation: int | None = None  # videos only: degrees clockwise the frames are turned for display

    @property
    def is_video(self) -> bool:
        return self.media is MediaKind.VIDEO

    @property
    def camera(self) -> str | None:
        make = (self.camera_make or "").strip()
        model = (self.camera_model or "").strip()
        if model.lower().startswith(make.lower()):
            make = ""  # "Canon" + "Canon EOS 5D" reads as "Canon EOS 5D"
        joined = " ".join(p for p in (make, model) if p)
        return joined or None

    @property
    def gps(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return (self.latitude, self.longitude)


@dataclass(frozen=True, slots=True)
class VideoFacts:
    """What a video's container says about its picture, beside the facts every item has."""

    duration_s: float | None  # None when neither the container nor the decoder knows it
    fps: float | None
    codec: str | None
    rotation: int  # 0, 90, 180 or 270: degrees clockwise, already applied to the poster and to width/height


@dataclass(frozen=True, slots=True)
class ImageFacts:
    """What reading one file taught us; produced by the scanner's workers."""

    size: int
    mtime_ns: int
    hash: str
    format: str
    width: int
    height: int
    taken_at: str | None
    taken_at_source: str
    camera_make: str | None
    camera_model: str | None
    latitude: float | None
    longitude: float | None
    orientation: int | None
    warnings: tuple[str, ...] = ()  # metadata dropped as impossible, and why
    video: VideoFacts | None = None  # None: a photo
    perceptual_hash: int | None = None  # of the thumbnail, when this read made it (near_duplicates.py)
    metadata: PhotoMetadata | None = None  # XMP and IPTC: keywords, rating, named face regions
    sidecars: str | None = None  # size and mtime of the XMP sidecars read: part of the change check

    @property
    def media(self) -> MediaKind:
        return MediaKind.PHOTO if self.video is None else MediaKind.VIDEO


@dataclass(frozen=True, slots=True)
class Keyword:
    """A keyword a user gave a photo in another tool; ``parents`` is its hierarchy, root first."""

    name: str
    parents: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FaceRegion:
    """A named face region, as fractions of the photo. In the catalog, as displayed (EXIF rotation
    undone, the frame of detected faces' boxes); in a sidecar being written, as stored (MWG's frame)."""

    name: str
    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class PhotoMetadata:
    """What XMP (embedded and sidecars) and IPTC say about one photo, merged by precedence."""

    keywords: tuple[Keyword, ...] = ()
    rating: int | None = None  # xmp:Rating: -1 (rejected) to 5; None: not rated
    title: str | None = None
    description: str | None = None
    regions: tuple[FaceRegion, ...] = ()
    sources: tuple[str, ...] = ()  # where it came from, winner first ("IMG_1.jpg.xmp", "embedded XMP")

    @property
    def empty(self) -> bool:
        return not (self.keywords or self.regions or self.title or self.description) and self.rating is None
