"""Every SQL statement of photosorter lives in this package."""

from photosorter.core.catalog.database import Catalog, CatalogError

__all__ = ["Catalog", "CatalogError"]
