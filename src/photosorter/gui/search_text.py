"""How the gallery words a search: its header with the query and count, and the empty state that says
why nothing matched and offers the closest labels as links."""

from __future__ import annotations

from html import escape

from photosorter.core.browse import ViewFilter


def photo_count(count: int) -> str:
    return f"{count:,} photo{'s' if count != 1 else ''}"


def gallery_title(view: ViewFilter, query: str, count: int) -> str:
    """The gallery's header: the sidebar's selection, or during a search the query and its count."""
    if not query:
        return view.title
    where = "" if view.kind == "all" else f" in {view.title}"
    return f"“{query}”{where} · {photo_count(count)}"


def no_match_html(view: ViewFilter, query: str, found) -> str:
    """The empty state of a search: why nothing matched and the closest labels, as links."""
    lines = [f"<p style='font-size:16px'><b>No photo matches “{escape(query)}”</b></p>"]
    if view.kind != "all":
        lines.append(
            f"<p>Only photos in “{escape(view.title)}” were searched. "
            "<a href='all:'>Search all photos</a></p>"
        )
    if found is not None and found.terms > 1:
        lines.append("<p>Every word must match the same photo: try fewer words.</p>")
    if found is not None and not found.analyzed:
        lines.append(
            "<p>No photo is analyzed yet, so only file names, folders and dates can match. "
            "Labels, text and people appear as photos are analyzed.</p>"
        )
    elif found is not None:
        lines.append("<p>No label, text in a photo, person or file name matched.</p>")
    if found is not None and found.closest:
        links = " · ".join(
            f"<a href='search:{escape(_quoted('label', label.name), quote=True)}'>{escape(label.name)}</a>"
            f" ({label.count:,})"
            for label in found.closest
        )
        lines.append(f"<p>Closest labels: {links}</p>")
    if found is not None and found.closest_people:
        links = " · ".join(
            f"<a href='search:{escape(_quoted('person', name), quote=True)}'>{escape(name)}</a> ({count:,})"
            for name, count in found.closest_people
        )
        lines.append(f"<p>Closest people: {links}</p>")
    return "".join(lines)


def _quoted(key: str, value: str) -> str:
    return f'{key}:"{value}"' if " " in value else f"{key}:{value}"
