"""XMP and IPTC metadata: read at scan (keywords, ratings, named face regions), written to sidecars only
when asked. Pure Python (ElementTree guarded by defusedxml); a photo's own bytes are never written."""
