from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    cfg = settings.WARTA
    return {"site_name": cfg["site.name"], "site_tagline": cfg["site.tagline"]}
