from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shouwang.geo.models import Division


@login_required
def index(request: HttpRequest) -> HttpResponse:
    provinces = Division.objects.filter(level="province").order_by("code")
    return render(request, "geo/index.html", {"provinces": provinces})
