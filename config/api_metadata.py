"""OPTIONS answers: what a view renders and parses, never serializer introspection.

DRF's SimpleMetadata builds a form description from each view's serializer, which fails
(AssertionError, a 500) on views whose input is not one serializer: propose, import, draft
targets, comment resolve. /api/schema/ is the description of the fields.
"""

from rest_framework.metadata import BaseMetadata
from rest_framework.request import Request


class StoplineMetadata(BaseMetadata):
    def determine_metadata(self, request: Request, view) -> dict:
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
            "schema": "/api/schema/",
        }
