"""Page-number pagination that refuses a page that is not a positive integer."""

from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination


class StrictPageNumberPagination(PageNumberPagination):
    def paginate_queryset(self, queryset, request, view=None):
        page = request.query_params.get(self.page_query_param)
        if page is not None and not (page.isdigit() and int(page) > 0):
            # DRF would read an empty ?page= as page 1; the schema says integer.
            raise NotFound("Invalid page: give a page number from 1.")
        return super().paginate_queryset(queryset, request, view)
