"""The Qt-free heart of photosorter: catalog, scanner, analysis, faces, search and jobs."""
