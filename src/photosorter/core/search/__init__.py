"""Search: a query language over labels, text, people, dates and folders (no Qt, no SQL here)."""

from photosorter.core.search.engine import (
    LabelCount,
    SearchHit,
    SeenAt,
    category_counts,
    completions,
    label_counts,
    person_counts,
    search,
    search_ids,
    unnamed_count,
)
from photosorter.core.search.filters import FILTERS, Filter, SearchError, help_text
from photosorter.core.search.query import Query, Term, parse

__all__ = [
    "FILTERS",
    "Filter",
    "LabelCount",
    "Query",
    "SearchError",
    "SearchHit",
    "SeenAt",
    "Term",
    "category_counts",
    "completions",
    "help_text",
    "label_counts",
    "parse",
    "person_counts",
    "search",
    "search_ids",
    "unnamed_count",
]
