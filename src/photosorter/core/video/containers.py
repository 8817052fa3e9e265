"""Which video container a file is, from its first bytes: content decides, never the extension.

ISO-BMFF (MP4, MOV, M4V, 3GP) names its brand in ``ftyp``; Matroska and WebM start with an EBML
header naming the doc type; AVI is a RIFF file of form ``AVI ``; an MPEG transport stream repeats the
sync byte 0x47 every 188 bytes (192 in the M2TS files of AVCHD camcorders, after a 4-byte timestamp).
"""

from __future__ import annotations

from dataclasses import dataclass

HEAD_BYTES = 1024  # enough for five TS packets and an EBML header

ISOBMFF = "isobmff"
EBML = "ebml"
RIFF = "riff"
TS = "ts"

# iTunes audio, audiobooks and protected audio, and Flash audio: MP4 files that are no video
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
# the HEIF brands are photos (imaging.py); Canon's CR3 raw photos are ISO-BMFF too
_NOT_VIDEO_BRANDS = {
    b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis", b"crx ",
}  # fmt: skip
# a QuickTime file from before ftyp existed starts with one of these atoms
_OLD_QUICKTIME = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


@dataclass(frozen=True, slots=True)
class Container:
    name: str  # as people write it: "MP4", "MOV", "3GP", "MKV", "WebM", "AVI", "MPEG-TS", "M2TS", "M4A"
    family: str  # ISOBMFF, EBML, RIFF or TS: which reader knows its metadata
    audio_only: bool = False  # the brand says audio (M4A): no need to look inside


def _brand_name(brand: bytes) -> str:
    if brand == b"qt  ":
        return "MOV"
    if brand.startswith((b"3gp", b"3g2", b"3ge", b"3gg")):
        return "3GP"
    if brand in (b"M4V ", b"M4VH", b"M4VP"):
        return "M4V"
    return "MP4"


def _ts_packets(head: bytes, offset: int, stride: int) -> bool:
    """Sync bytes at ``offset`` and every ``stride`` bytes after, as far as ``head`` reaches (3 at least)."""
    positions = range(offset, len(head), stride)
    return len(positions) >= 3 and all(head[p] == 0x47 for p in positions)


def sniff_container(head: bytes) -> Container | None:
    """The video container of a file starting with ``head`` (HEAD_BYTES of it), or None."""
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _NOT_VIDEO_BRANDS:
            return None
        if brand in _AUDIO_BRANDS:
            return Container("M4A", ISOBMFF, audio_only=True)
        return Container(_brand_name(brand), ISOBMFF)
    if head[4:8] in _OLD_QUICKTIME and int.from_bytes(head[:4], "big") not in range(2, 8):
        return Container("MOV", ISOBMFF)  # sizes 0 (to the end) and 1 (64-bit) are valid, 2-7 are not
    if head[:4] == b"\x1a\x45\xdf\xa3":
        # the doc type sits in the EBML header's first few dozen bytes
        return Container("WebM" if b"webm" in head[:64] else "MKV", EBML)
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return Container("AVI", RIFF)
    if _ts_packets(head, 0, 188):
        return Container("MPEG-TS", TS)
    if _ts_packets(head, 4, 192):
        return Container("M2TS", TS)
    return None


VIDEO_EXTENSIONS = {
    ".mp4", ".m4v", ".mov", ".qt", ".3gp", ".3g2", ".mkv", ".webm", ".avi", ".mts", ".m2ts", ".ts",
}  # fmt: skip
