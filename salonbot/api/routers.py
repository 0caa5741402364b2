from rest_framework.routers import DefaultRouter


class OptionalSlashRouter(DefaultRouter):
    """API.md: paths have no trailing slash, and a trailing slash works too."""

    include_root_view = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.trailing_slash = "/?"
