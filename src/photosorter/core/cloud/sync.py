"""The incremental sync: what changed in the cloud library since this catalog's cursor.

The feed is a Query on the ``changes`` index (``feed = "changes" AND seq > cursor - SETTLE_US``), page
by page, never a Scan: a sync costs O(changes), not O(library). Each page's imports and the cursor
after it are one catalog transaction, so a kill -9 at any moment resumes at the last committed page
and loses nothing; an item read again (the settle window, a rerun) is skipped by its seq, so nothing
is imported twice. After reading, videos' faces matched to a face that has a person since join that
person, and this device's own changes to people are published.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from photosorter.cloud_function import items
from photosorter.core.catalog import Catalog
from photosorter.core.catalog import cloud as cloud_rows
from photosorter.core.cloud.library import PAGE_SIZE, CloudLibrary
from photosorter.core.cloud.people import publish
from photosorter.core.cloud.results import change_of
from photosorter.core.cloud.session import CloudError
from photosorter.core.jobs import CancelToken, Job, Progress


@dataclass(frozen=True, slots=True)
class SyncReport:
    read: int  # feed items read (the settle window's included)
    results: int  # results imported
    failures: int  # photos the cloud could not analyze
    people: int  # person items applied here
    published: int  # person items this device wrote
    pages: int
    seconds: float

    def describe(self) -> str:
        parts = [f"{self.results} result{'s' * (self.results != 1)} imported"]
        if self.failures:
            parts.append(f"{self.failures} photo{'s' * (self.failures != 1)} failed in the cloud")
        if self.people or self.published:
            parts.append(f"{self.people} people updated here, {self.published} shared")
        return f"{', '.join(parts)} ({self.read} changes read in {self.seconds:.1f} s)"


def sync(
    catalog: Catalog,
    library: CloudLibrary,
    *,
    page_size: int = PAGE_SIZE,
    cancel: CancelToken | None = None,
    on_page: Callable[[cloud_rows.PageImport], None] | None = None,
) -> Job:
    """Generator: yields Progress per page, returns a SyncReport. CloudError for an item of a newer
    schema (refused, never misread: the cursor stays before it)."""
    cancel = cancel or CancelToken()
    started = time.monotonic()
    yield Progress(0, 0, "Syncing with the cloud library…")
    table = library.outputs.table
    cursor = cloud_rows.cursor(catalog, table)
    read = results = failures = people = pages = 0
    for page in library.changes(max(0, cursor - items.SETTLE_US), page_size):
        try:
            decoded = [found for found in map(items.decode, page) if found is not None]
        except items.NewerSchemaError as error:
            raise CloudError(str(error)) from error
        read += len(page)
        pages += 1
        if page:
            cursor = max(cursor, max(int(raw["seq"]["N"]) for raw in page))
        keys = [(_pk(found), found.seq) for found in decoded]
        fresh = cloud_rows.unseen(catalog, keys)
        held = cloud_rows.held_hashes(
            catalog, (f.content_hash for f in decoded if isinstance(f, items.ResultItem) and _pk(f) in fresh)
        )
        changes = [
            change
            for found in decoded
            if _pk(found) in fresh and (isinstance(found, items.PersonItem) or found.content_hash in held)
            # responses the function kept in S3 are read only for items imported here
            for change in (
                change_of(found if isinstance(found, items.PersonItem) else library.complete(found)),
            )
            if change is not None
        ]
        imported = cloud_rows.import_page(catalog, table, cursor, changes)
        results += imported.results
        failures += imported.failures
        people += imported.people
        if on_page is not None:
            on_page(imported)
        yield Progress(read, 0, "Syncing with the cloud library…", f"{results} results imported")
        cancel.check()
    published = publish(catalog, library)
    if results or people or published:
        # a video face can only gain a person by a result or person item read here or a name given here
        # (which this sync published): a sync with no change matches nothing and stays O(changes)
        cloud_rows.name_matched_faces(catalog)
    return SyncReport(read, results, failures, people, published, pages, time.monotonic() - started)


def _pk(found: items.ResultItem | items.PersonItem) -> str:
    if isinstance(found, items.PersonItem):
        return items.person_pk(found.user_id)
    return items.result_pk(found.content_hash)
