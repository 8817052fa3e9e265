"""One XMP packet to the fields we read: keywords, rating, title, description and face regions.

XMP is RDF/XML, and writers use every serialisation RDF allows (properties as attributes or
elements, structs as ``rdf:parseType="Resource"``, nested ``rdf:Description`` or attributes on
``rdf:li``), so the packet is first read into plain values (text, lists, dicts keyed by
``{namespace}name``) and the fields are picked from those. ``defusedxml`` refuses entity
expansion (the "billion laughs" bomb) and external entities before anything is built.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from xml.etree.ElementTree import Element, ParseError, XMLParser

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from photosorter.core.records import Keyword

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DC = "http://purl.org/dc/elements/1.1/"
XMP = "http://ns.adobe.com/xap/1.0/"
LR = "http://ns.adobe.com/lightroom/1.0/"
DIGIKAM = "http://www.digikam.org/ns/1.0/"
MICROSOFT_PHOTO = "http://ns.microsoft.com/photo/1.0/"
MWG_RS = "http://www.metadataworkinggroup.com/schemas/regions/"
ST_AREA = "http://ns.adobe.com/xmp/sType/Area#"
ST_DIM = "http://ns.adobe.com/xap/1.0/sType/Dimensions#"
MP = "http://ns.microsoft.com/photo/1.2/"
MPRI = "http://ns.microsoft.com/photo/1.2/t/RegionInfo#"
MPREG = "http://ns.microsoft.com/photo/1.2/t/Region#"
# Our own namespace: which dc:subject keywords an analyzer gave (not the user), so that reading our own
# sidecar back never turns an analyzer's guess into "your keyword".
PHOTOSORTER = "http://ns.photosorter.app/xmp/1.0/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

MAX_PACKET_BYTES = 4 * 1024 * 1024  # real packets are kilobytes; more is not metadata we want to hold
MAX_DEPTH = 40  # RDF nests a few levels; deeper is a crafted file, refused before recursion gets deep
MAX_NAME = 200  # characters of a keyword or person name

# The properties we read, by local name: met under another namespace they are a writer's mistake, said
# per file rather than silently ignored.
_OURS = {
    "subject": DC,
    "title": DC,
    "description": DC,
    "hierarchicalSubject": LR,
    "Rating": XMP,
    "Regions": MWG_RS,
    "RegionInfo": MP,
}
_ALSO_OURS = {(MICROSOFT_PHOTO, "Rating"), (DIGIKAM, "TagsList")}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # controls and bidi overrides


class XmpError(ValueError):
    """A packet we cannot read at all; the message says why, for the file's warnings."""


@dataclass(frozen=True, slots=True)
class RawRegion:
    """A named face region as the file stores it: fractions of the image as stored, top-left based."""

    name: str
    left: float
    top: float
    width: float
    height: float
    applied_to: tuple[float, float] | None  # mwg-rs:AppliedToDimensions (w, h), when given


@dataclass(frozen=True, slots=True)
class XmpFields:
    """The fields one packet has; None (or empty) where the packet says nothing."""

    keywords: tuple[Keyword, ...] | None = None
    rating: int | None = None
    title: str | None = None
    description: str | None = None
    regions: tuple[RawRegion, ...] | None = None
    warnings: tuple[str, ...] = ()
    other_regions: bool = False  # MWG regions that are no face (pets, focus points, barcodes)


Value = str | list | dict


def parse_packet(data: bytes) -> XmpFields:
    """The fields of one XMP packet; raises XmpError when it cannot be read at all."""
    if len(data) > MAX_PACKET_BYTES:
        raise XmpError(f"XMP is {len(data) // 1024} KB, over the {MAX_PACKET_BYTES // 1024 // 1024} MB limit")
    data = data.strip(b"\x00 \t\r\n")
    if not data:
        raise XmpError("XMP is empty")
    try:
        root = _parse(data)
    except DefusedXmlException as error:
        raise XmpError(f"XMP refused: it declares entities or a DTD ({type(error).__name__})") from None
    except ParseError as error:
        raise XmpError(f"XMP is not well-formed XML ({error})") from None
    warnings: list[str] = []
    props = _properties(root, warnings)
    return XmpFields(
        keywords=_keywords(props),
        rating=_rating(props, warnings),
        title=_lang_alt(props.get(_TITLE)),
        description=_lang_alt(props.get(_DESCRIPTION_PROP)),
        regions=_regions(props, warnings),
        warnings=tuple(warnings),
        other_regions=_has_other_regions(props.get(_MWG_REGIONS)),
    )


def _has_other_regions(regions: Value | None) -> bool:
    listed = regions.get(_MWG_LIST) if isinstance(regions, dict) else None
    return any(
        isinstance(item, dict)
        and isinstance(kind := item.get(_MWG_TYPE), str)
        and kind.strip() not in ("", "Face")
        for item in (listed if isinstance(listed, list) else [])
    )


def _parse(data: bytes) -> Element:
    """The element tree, through defusedxml whenever the packet could declare an entity.

    Entities (the "billion laughs" bomb, external files) can only be declared in a DTD. A packet in
    an ASCII-compatible encoding (no NUL bytes) without ``<!DOCTYPE`` has none, and goes to the C
    parser: defusedxml's pure-Python parser costs more than the rest of a scan's metadata reading.
    Anything else (a DTD, UTF-16) goes through defusedxml, which refuses what is dangerous.
    """
    if b"\x00" in data or b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return fromstring(data)
    parser = XMLParser()
    parser.feed(data)
    return parser.close()


# -- RDF to plain values ---------------------------------------------------------------------------------
_RDF_NS = f"{{{RDF}}}"
_RDF_RDF, _DESCRIPTION, _LI = f"{_RDF_NS}RDF", f"{_RDF_NS}Description", f"{_RDF_NS}li"
_RESOURCE, _PARSE_TYPE = f"{_RDF_NS}resource", f"{_RDF_NS}parseType"
_CONTAINERS = {f"{_RDF_NS}Bag", f"{_RDF_NS}Seq", f"{_RDF_NS}Alt"}
# the properties read (others, like develop settings, are never walked: most of a sidecar)
_WANTED = {f"{{{ns}}}{local}" for local, ns in _OURS.items()} | {
    f"{{{ns}}}{local}" for ns, local in _ALSO_OURS
}
_WANTED.add(f"{{{PHOTOSORTER}}}MachineKeywords")
_TITLE, _DESCRIPTION_PROP = f"{{{DC}}}title", f"{{{DC}}}description"
_SUBJECT, _HIERARCHICAL, _TAGS_LIST = (
    f"{{{DC}}}subject",
    f"{{{LR}}}hierarchicalSubject",
    f"{{{DIGIKAM}}}TagsList",
)
_MACHINE_KEYWORDS = f"{{{PHOTOSORTER}}}MachineKeywords"
_RATING, _MICROSOFT_RATING = f"{{{XMP}}}Rating", f"{{{MICROSOFT_PHOTO}}}Rating"
_MWG_TYPE, _MWG_NAME, _MWG_AREA = f"{{{MWG_RS}}}Type", f"{{{MWG_RS}}}Name", f"{{{MWG_RS}}}Area"
_MWG_LIST, _MWG_APPLIED = f"{{{MWG_RS}}}RegionList", f"{{{MWG_RS}}}AppliedToDimensions"
_AREA_XYWH = tuple(f"{{{ST_AREA}}}{k}" for k in "xywh")
_AREA_UNIT = f"{{{ST_AREA}}}unit"
_DIM_W, _DIM_H = f"{{{ST_DIM}}}w", f"{{{ST_DIM}}}h"
_MPRI_REGIONS = f"{{{MPRI}}}Regions"
_MPREG_NAME, _MPREG_RECTANGLE = f"{{{MPREG}}}PersonDisplayName", f"{{{MPREG}}}Rectangle"
_MWG_REGIONS, _MICROSOFT_REGIONS = f"{{{MWG_RS}}}Regions", f"{{{MP}}}RegionInfo"


def _descriptions(root: Element) -> list[Element]:
    rdf_roots = [root] if root.tag == _RDF_RDF else list(root.iter(_RDF_RDF))
    if not rdf_roots:
        raise XmpError("XMP has no rdf:RDF element (not XMP, or the RDF namespace is wrong)")
    return [d for r in rdf_roots for d in r if d.tag == _DESCRIPTION]


class _Properties:
    """The properties we read from every rdf:Description, merged (the first one wins), each turned into
    a plain value only when a field asks for it: a digiKam sidecar holds the same faces and keywords
    twice (MWG and Microsoft regions, Lightroom's and digiKam's tag lists) and only one copy is used."""

    __slots__ = ("_raw", "_values")

    def __init__(self, raw: dict[str, str | Element]):
        self._raw = raw
        self._values: dict[str, Value] = {}

    def __contains__(self, key: str) -> bool:
        return key in self._raw

    def get(self, key: str) -> Value | None:
        value = self._values.get(key)
        if value is None:
            raw = self._raw.get(key)
            if raw is None:
                return None
            value = self._values[key] = raw if isinstance(raw, str) else _value(raw, 2)
        return value


def _properties(root: Element, warnings: list[str]) -> _Properties:
    """The properties we read; a property of ours under another namespace is a warning."""
    raw: dict[str, str | Element] = {}
    unwanted: set[str] = set()
    for description in _descriptions(root):
        for key, value in description.attrib.items():
            if key in _WANTED:
                raw.setdefault(key, value)
            else:
                unwanted.add(key)
        for child in description:
            key = child.tag
            if key in _WANTED:
                raw.setdefault(key, child)
            elif isinstance(key, str):
                unwanted.add(key)
    for key in unwanted:
        namespace, _, local = key[1:].partition("}")
        expected = _OURS.get(local)
        if expected and namespace != expected:
            warnings.append(f"XMP property {local} is in namespace {namespace!r}, not {expected!r}: ignored")
    return _Properties(raw)


def _fields(element: Element) -> dict[str, Value]:
    attrib = element.attrib
    if not attrib:  # most elements of a packet have none: no dict walk for them
        return {}
    if XML_LANG not in attrib and _RDF_NS not in "".join(attrib):
        return dict(attrib)  # the usual case, found by two C-speed tests instead of a walk in Python
    return {k: v for k, v in attrib.items() if not k.startswith(_RDF_NS) and k != XML_LANG}


def _struct(element: Element, depth: int) -> dict[str, Value]:
    if depth > MAX_DEPTH:
        raise XmpError(f"XMP nests deeper than {MAX_DEPTH} levels")
    props = _fields(element)
    for child in element:
        if isinstance(child.tag, str):
            props[child.tag] = _value(child, depth + 1)
    return props


def _value(element: Element, depth: int) -> Value:
    if depth > MAX_DEPTH:
        raise XmpError(f"XMP nests deeper than {MAX_DEPTH} levels")
    attrib = element.attrib
    if attrib:
        resource = attrib.get(_RESOURCE)
        if resource is not None:
            return resource
        if attrib.get(_PARSE_TYPE) == "Resource":
            return _struct(element, depth)
    if not len(element):
        if attrib and (fields := _fields(element)):
            return fields  # shorthand struct: its fields are attributes (and it has no children)
        return (element.text or "").strip()
    first = element[0]
    if first.tag in _CONTAINERS:
        items: list[Value] = []
        for li in first:
            if li.tag != _LI:
                continue
            if not len(li):
                lang = li.attrib
                if not lang:  # a keyword or a name: most items, read without recursing
                    items.append((li.text or "").strip())
                    continue
                if len(lang) == 1 and XML_LANG in lang:  # one language of a title: the same, no recursion
                    text = (li.text or "").strip()
                    if lang[XML_LANG] == "x-default":
                        items.insert(0, text)  # the default language first
                    else:
                        items.append(text)
                    continue
            item = _value(li, depth + 2)
            if isinstance(item, str) and li.get(XML_LANG) == "x-default":
                items.insert(0, item)  # the default language first
            else:
                items.append(item)
        return items
    if first.tag == _DESCRIPTION:
        return _struct(first, depth + 1)
    return _struct(element, depth)


# -- fields ----------------------------------------------------------------------------------------------
def clean_name(value: object) -> str | None:
    """A keyword or person name as text we can show: controls and bidi overrides out, spaces tidied."""
    if not isinstance(value, str):
        return None
    return _clean_text(value)


@lru_cache(maxsize=4096)  # a library repeats the same few hundred names and keywords in every sidecar
def _clean_text(value: str) -> str | None:
    text = " ".join(_CONTROL.sub(" ", value).split())
    return text[:MAX_NAME] or None


def _strings(value: Value | None) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [text for text in map(clean_name, value) if text]


def _keywords(props: _Properties) -> tuple[Keyword, ...] | None:
    flat = props.get(_SUBJECT)
    paths = [(p, "|") for p in _strings(props.get(_HIERARCHICAL))]
    if not paths:  # digiKam's own list, only when Lightroom's is absent (digiKam writes both)
        paths = [(p, "/") for p in _strings(props.get(_TAGS_LIST))]
    if flat is None and not paths:
        return None
    machine = {name.casefold() for name in _strings(props.get(_MACHINE_KEYWORDS))}
    found: dict[tuple[str, ...], Keyword] = {}
    for path, separator in paths:
        parts = _path_parts(path, separator)
        if parts and parts not in found and parts[-1].casefold() not in machine:
            found[parts] = _keyword(parts)
    leaves = {k.name.casefold() for k in found.values()} | machine
    for name in _strings(flat):
        if name.casefold() not in leaves:
            leaves.add(name.casefold())
            found[(name,)] = _keyword((name,))
    return tuple(found.values())


# A library repeats the same few hundred keyword paths in every sidecar: each is split, tidied and made a
# Keyword once (the parsing runs in the scan's reading threads, holding the GIL the decoders need back).
@lru_cache(maxsize=4096)
def _path_parts(path: str, separator: str) -> tuple[str, ...]:
    return tuple(p for p in map(_clean_text, path.split(separator)) if p)


@lru_cache(maxsize=4096)
def _keyword(parts: tuple[str, ...]) -> Keyword:
    return Keyword(parts[-1], parts[:-1])


def _rating(props: _Properties, warnings: list[str]) -> int | None:
    value = props.get(_RATING)
    scale = 1.0
    if value is None and (percent := props.get(_MICROSOFT_RATING)) is not None:
        value, scale = percent, 0.0  # Windows' 1-99 scale: 1, 25, 50, 75, 99 are one to five stars
    if value is None or not isinstance(value, str):
        return None
    try:
        number = float(value)
    except ValueError:
        warnings.append(f"rating {value[:20]!r} is not a number: ignored")
        return None
    if scale == 0.0:
        number = 0 if number <= 0 else 1 + min(4, int((number + 1) // 25))
    if not (-1 <= number <= 5) or math.isnan(number):
        warnings.append(f"rating {value[:20]!r} is outside -1..5: ignored")
        return None
    return round(number)


def _lang_alt(value: Value | None) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text[:4000] or None


def _number(value: Value | None) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _regions(props: _Properties, warnings: list[str]) -> tuple[RawRegion, ...] | None:
    if _MWG_REGIONS not in props and _MICROSOFT_REGIONS not in props:
        return None
    found: list[RawRegion] = []
    mwg = props.get(_MWG_REGIONS)
    if isinstance(mwg, dict):
        found += _mwg_regions(mwg, warnings)
    if not found:  # digiKam writes both forms of the same faces: the Microsoft one is read only alone
        microsoft = props.get(_MICROSOFT_REGIONS)
        if isinstance(microsoft, dict):
            found += _microsoft_regions(microsoft, warnings)
    return tuple(found)


def _mwg_regions(regions: dict, warnings: list[str]) -> list[RawRegion]:
    applied = regions.get(_MWG_APPLIED)
    dims = None
    if isinstance(applied, dict):
        w, h = _number(applied.get(_DIM_W)), _number(applied.get(_DIM_H))
        if w and h and w > 0 and h > 0:
            dims = (w, h)
    listed = regions.get(_MWG_LIST)
    found = []
    for item in listed if isinstance(listed, list) else []:
        if not isinstance(item, dict):
            continue
        kind = item.get(_MWG_TYPE)
        name = clean_name(item.get(_MWG_NAME))
        if (isinstance(kind, str) and kind.strip() and kind.strip() != "Face") or not name:
            continue  # pets, focus points, barcodes, and faces nobody named
        area = item.get(_MWG_AREA)
        if not isinstance(area, dict):
            warnings.append(f"face region {name!r} has no area: ignored")
            continue
        x, y, w, h = (_number(area.get(key)) for key in _AREA_XYWH)
        unit = area.get(_AREA_UNIT, "normalized")
        if None in (x, y, w, h):
            warnings.append(f"face region {name!r} has no usable x, y, w, h: ignored")
            continue
        assert x is not None and y is not None and w is not None and h is not None
        if unit == "pixel":
            if dims is None:
                warnings.append(f"face region {name!r} is in pixels without AppliedToDimensions: ignored")
                continue
            x, w, y, h = x / dims[0], w / dims[0], y / dims[1], h / dims[1]
        # MWG areas are centre-based
        found.append(RawRegion(name, x - w / 2, y - h / 2, w, h, dims))
    return found


def _microsoft_regions(info: dict, warnings: list[str]) -> list[RawRegion]:
    listed = info.get(_MPRI_REGIONS)
    found = []
    for item in listed if isinstance(listed, list) else []:
        if not isinstance(item, dict):
            continue
        name = clean_name(item.get(_MPREG_NAME))
        rectangle = item.get(_MPREG_RECTANGLE)
        if not name:
            continue
        parts = [_number(p.strip()) for p in rectangle.split(",")] if isinstance(rectangle, str) else []
        if len(parts) != 4 or None in parts:
            warnings.append(f"face region {name!r} has no usable rectangle: ignored")
            continue
        x, y, w, h = parts  # Microsoft rectangles are top-left based
        found.append(RawRegion(name, x, y, w, h, None))  # type: ignore[arg-type]
    return found
