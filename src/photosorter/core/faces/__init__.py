"""People: grouping faces, naming them once, and finding a person everywhere. No Qt here.

The GUI and CLI call:

- ``cluster_new_faces(catalog)`` after each analysis run; ``recluster(catalog)`` to start over.
- ``overview(catalog)``, ``suggestions(catalog)`` to show the people page (FaceGroup, FaceQuestion),
  ``faces_of_group(catalog, ref, limit)`` for one group's faces (FaceTile).
- ``name_face``, ``name_cluster``, ``rename``, ``merge``, ``remove_face``, ``move_face``,
  ``set_hidden``, ``accept``, ``reject``, ``undo``, ``forget``, ``forget_all``.

``services`` (optional everywhere) maps a backend name to its FaceService; the
default compares local embeddings only. Pass ``RekognitionFaceService`` for
``"rekognition"`` faces.
"""

from photosorter.core.catalog.people_views import (
    FaceGroup,
    FaceQuestion,
    FaceTile,
    faces_of_group,
    overview,
    photos_of_person,
)
from photosorter.core.catalog.people_views import open_suggestions as suggestions
from photosorter.core.faces.clustering import ClusterReport, cluster_new_faces, recluster
from photosorter.core.faces.naming import (
    NameResult,
    accept,
    merge,
    move_face,
    name_cluster,
    name_face,
    person,
    reject,
    remove_face,
    rename,
    set_hidden,
    undo,
)
from photosorter.core.faces.privacy import ForgottenFaces, analyze_faces_again, forget, forget_all
from photosorter.core.faces.service import FaceService, LocalFaceService, Match

__all__ = [
    "ClusterReport",
    "FaceGroup",
    "FaceQuestion",
    "FaceService",
    "FaceTile",
    "ForgottenFaces",
    "LocalFaceService",
    "Match",
    "NameResult",
    "accept",
    "analyze_faces_again",
    "cluster_new_faces",
    "faces_of_group",
    "forget",
    "forget_all",
    "merge",
    "move_face",
    "name_cluster",
    "name_face",
    "overview",
    "person",
    "photos_of_person",
    "recluster",
    "reject",
    "remove_face",
    "rename",
    "set_hidden",
    "suggestions",
    "undo",
]
