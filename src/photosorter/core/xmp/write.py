"""Writing the fields we own into an XMP sidecar, keeping every other byte of it.

Merge, don't clobber: re-serialising a sidecar through ElementTree would rename its prefixes,
drop its comments and reflow it, so the existing text is edited instead. Our properties are
found with their byte spans (expat reports where each element starts and ends), cut out (an
element, or an attribute of ``rdf:Description``), and one new ``rdf:Description`` carrying our
values goes in before ``</rdf:RDF>``: XMP merges the properties of every Description of a packet.
What we do not own stays byte for byte, including other tools' namespaces and develop settings.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from photosorter.core.records import FaceRegion, Keyword
from photosorter.core.xmp.parse import (
    DC,
    LR,
    MP,
    MPREG,
    MPRI,
    MWG_RS,
    PHOTOSORTER,
    RDF,
    ST_AREA,
    ST_DIM,
    XMP,
    XmpError,
    parse_packet,
)

LABELS, PEOPLE, RATINGS = "labels", "people", "ratings"
PARTS = (LABELS, PEOPLE, RATINGS)
_OWNED = {
    LABELS: {(DC, "subject"), (LR, "hierarchicalSubject"), (PHOTOSORTER, "MachineKeywords")},
    PEOPLE: {(MWG_RS, "Regions"), (MP, "RegionInfo")},
    RATINGS: {(XMP, "Rating")},
}
_PREFIXES = {
    "dc": DC,
    "lr": LR,
    "xmp": XMP,
    "mwg-rs": MWG_RS,
    "stDim": ST_DIM,
    "stArea": ST_AREA,
    "MP": MP,
    "MPRI": MPRI,
    "MPReg": MPREG,
    "photosorter": PHOTOSORTER,
}


@dataclass(frozen=True, slots=True)
class SidecarFields:
    """What we write; a part with nothing to say (no keywords, no rating, no named face) is left alone."""

    keywords: tuple[Keyword, ...] = ()
    machine: tuple[str, ...] = ()  # keywords an analyzer gave
    rating: int | None = None
    regions: tuple[FaceRegion, ...] = ()  # as fractions of the image as STORED (what MWG measures)
    stored_size: tuple[int, int] = (0, 0)  # pixels as stored: mwg-rs:AppliedToDimensions

    def parts_with_values(self, parts: Iterable[str]) -> set[str]:
        has = {LABELS: bool(self.keywords), PEOPLE: bool(self.regions), RATINGS: self.rating is not None}
        return {part for part in parts if has[part]}


def _number(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def _bag(prefix: str, name: str, items: Iterable[str], indent: str) -> str:
    lines = "".join(f"{indent}   <rdf:li>{escape(item)}</rdf:li>\n" for item in items)
    tag = f"{prefix}:{name}"
    return f"{indent}<{tag}>\n{indent}  <rdf:Bag>\n{lines}{indent}  </rdf:Bag>\n{indent}</{tag}>\n"


def render_description(fields: SidecarFields, parts: set[str]) -> str:
    """Our ``rdf:Description``, declaring its own prefixes (no clash with the file's)."""
    ind = "   "
    used: set[str] = set()
    attributes: list[str] = []
    body = ""
    if RATINGS in parts:
        used.add("xmp")
        attributes.append(f"xmp:Rating={quoteattr(str(fields.rating))}")
    if LABELS in parts:
        used |= {"dc", "lr", "photosorter"}
        body += _bag("dc", "subject", (k.name for k in fields.keywords), ind)
        body += _bag(
            "lr", "hierarchicalSubject", ("|".join((*k.parents, k.name)) for k in fields.keywords), ind
        )
        if fields.machine:
            body += _bag("photosorter", "MachineKeywords", fields.machine, ind)
    if PEOPLE in parts:
        used |= {"mwg-rs", "stDim", "stArea", "MP", "MPRI", "MPReg"}
        width, height = fields.stored_size
        items = "".join(
            f'{ind}    <rdf:li rdf:parseType="Resource">\n'
            f"{ind}     <mwg-rs:Name>{escape(r.name)}</mwg-rs:Name>\n"
            f"{ind}     <mwg-rs:Type>Face</mwg-rs:Type>\n"
            f'{ind}     <mwg-rs:Area stArea:x="{_number(r.left + r.width / 2)}"'
            f' stArea:y="{_number(r.top + r.height / 2)}" stArea:w="{_number(r.width)}"'
            f' stArea:h="{_number(r.height)}" stArea:unit="normalized"/>\n'
            f"{ind}    </rdf:li>\n"
            for r in fields.regions
        )
        body += (
            f'{ind}<mwg-rs:Regions rdf:parseType="Resource">\n'
            f'{ind}  <mwg-rs:AppliedToDimensions stDim:w="{width}" stDim:h="{height}" stDim:unit="pixel"/>\n'
            f"{ind}  <mwg-rs:RegionList>\n{ind}   <rdf:Bag>\n{items}"
            f"{ind}   </rdf:Bag>\n{ind}  </mwg-rs:RegionList>\n"
            f"{ind}</mwg-rs:Regions>\n"
        )
        ms_items = "".join(
            f"{ind}    <rdf:li MPReg:PersonDisplayName={quoteattr(r.name)}"
            f' MPReg:Rectangle="{", ".join(map(_number, (r.left, r.top, r.width, r.height)))}"/>\n'
            for r in fields.regions
        )
        body += (
            f'{ind}<MP:RegionInfo rdf:parseType="Resource">\n{ind}  <MPRI:Regions>\n{ind}   <rdf:Bag>\n'
            f"{ms_items}{ind}   </rdf:Bag>\n{ind}  </MPRI:Regions>\n{ind}</MP:RegionInfo>\n"
        )
    declarations = "".join(f'\n    xmlns:{p}="{_PREFIXES[p]}"' for p in sorted(used))
    attrs = "".join(f"\n   {a}" for a in attributes)
    return f'  <rdf:Description rdf:about=""{declarations}{attrs}>\n{body}  </rdf:Description>\n'


NEW_SIDECAR = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="photosorter">\n'
    ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
    "{description}"
    " </rdf:RDF>\n"
    "</x:xmpmeta>\n"
    '<?xpacket end="w"?>\n'
)


def new_sidecar(fields: SidecarFields, parts: Iterable[str]) -> bytes:
    return NEW_SIDECAR.format(
        description=render_description(fields, fields.parts_with_values(parts))
    ).encode()


# -- merging into an existing sidecar --------------------------------------------------------------------
@dataclass(slots=True)
class _Description:
    """A top-level rdf:Description: where it is, its properties (raw name, ours?) and property elements."""

    start: int
    tag_end: int
    attributes: list[tuple[str, bool]]
    children: list[tuple[int, int, bool]] = field(default_factory=list)  # (start, end, ours)
    end: int = 0


def _with_indent(data: bytes, begin: int) -> int:
    """``begin`` moved back over the indentation and line break before it, so no blank lines pile up."""
    while begin > 0 and data[begin - 1 : begin] in (b" ", b"\t"):
        begin -= 1
    if begin > 0 and data[begin - 1 : begin] == b"\n":
        begin -= 1
    return begin


def _tag_end(data: bytes, start: int) -> int:
    """The index after the '>' closing the tag that starts at ``start`` ('>' inside quotes is text)."""
    quote = 0
    for i in range(start, len(data)):
        c = data[i]
        if quote:
            if c == quote:
                quote = 0
        elif c in b"\"'":
            quote = c
        elif c == 0x3E:  # '>'
            return i + 1
    raise XmpError("a tag is not closed")


def merge_sidecar(existing: bytes, fields: SidecarFields, parts: Iterable[str]) -> bytes:
    """``existing`` with our properties (of the parts we have values for) replaced; raises XmpError when
    the sidecar is not XMP we can edit safely (then it is left alone)."""
    current = parse_packet(existing)  # refuses bombs, entities and broken XML before we look at positions
    owned_parts = fields.parts_with_values(parts)
    if current.other_regions:
        owned_parts.discard(PEOPLE)  # rewriting the region list would lose a tool's pets and focus points
    if not owned_parts:
        return existing
    owned = set().union(*(_OWNED[p] for p in owned_parts))
    descriptions: list[_Description] = []
    scopes: list[dict[str, str]] = [{}]
    stack: list[tuple[str, str, int]] = []  # (namespace, local, start)
    rdf_end: list[int] = []
    parser = xml.parsers.expat.ParserCreate()
    parser.ordered_attributes = True

    def resolve(qname: str, scope: dict[str, str]) -> tuple[str, str]:
        prefix, _, local = qname.rpartition(":")
        return scope.get(prefix, ""), local

    def start(name: str, attributes: list[str]) -> None:
        scope = dict(scopes[-1])
        pairs = list(zip(attributes[::2], attributes[1::2], strict=True))
        for key, value in pairs:
            if key == "xmlns":
                scope[""] = value
            elif key.startswith("xmlns:"):
                scope[key[6:]] = value
        scopes.append(scope)
        namespace, local = resolve(name, scope)
        position = parser.CurrentByteIndex
        parent = stack[-1] if stack else None
        if (namespace, local) == (RDF, "Description") and parent and parent[:2] == (RDF, "RDF"):
            properties = [
                (key, resolve(key, scope) in owned)
                for key, _ in pairs
                if key != "xmlns" and not key.startswith("xmlns:") and resolve(key, scope)[0] != RDF
            ]
            descriptions.append(_Description(position, _tag_end(existing, position), properties))
        stack.append((namespace, local, position))

    def end(name: str) -> None:
        namespace, local, begin = stack.pop()
        scopes.pop()
        position = parser.CurrentByteIndex
        if (namespace, local) == (RDF, "RDF"):
            rdf_end.append(position)
        tag_end = _tag_end(existing, begin)
        finish = tag_end if existing[tag_end - 2 : tag_end] == b"/>" else _tag_end(existing, position)
        if (namespace, local) == (RDF, "Description") and stack and stack[-1][:2] == (RDF, "RDF"):
            descriptions[-1].end = finish
        elif len(stack) >= 2 and stack[-1][:2] == (RDF, "Description") and stack[-2][:2] == (RDF, "RDF"):
            descriptions[-1].children.append(
                (_with_indent(existing, begin), finish, (namespace, local) in owned)
            )

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(existing, True)
    except xml.parsers.expat.ExpatError as error:
        raise XmpError(f"XMP is not well-formed XML ({error})") from None
    if len(rdf_end) != 1:
        raise XmpError("the sidecar has no single rdf:RDF element to add to")
    edits: list[tuple[int, int, bytes]] = []
    for d in descriptions:
        if all(ours for _, ours in d.attributes) and all(ours for _, _, ours in d.children):
            # nothing but ours (our own Description of an earlier write): it goes whole
            edits.append((_with_indent(existing, d.start), d.end, b""))
            continue
        edits += [(begin, finish, b"") for begin, finish, ours in d.children if ours]
        tag = existing[d.start : d.tag_end]
        for raw, ours in d.attributes:
            if ours:
                tag = re.sub(rb"\s+" + re.escape(raw.encode()) + rb"\s*=\s*(\"[^\"]*\"|'[^']*')", b"", tag)
        if tag != existing[d.start : d.tag_end]:
            edits.append((d.start, d.tag_end, tag))
    insert_at = rdf_end[0]
    line_start = existing.rfind(b"\n", 0, insert_at) + 1
    if existing[line_start:insert_at].strip() == b"":
        insert_at = line_start  # before the indentation of "</rdf:RDF>", so it keeps its own
    description = render_description(fields, owned_parts).encode()
    edits.append((insert_at, insert_at, description))
    out = existing
    for begin, finish, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out = out[:begin] + replacement + out[finish:]
    return out
