"""The office's cockpit: the home page (what needs doing, for whom, what is coming), its
"Da fare" fragment (htmx refreshes it), the trends page and the header search."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.roles import portal_user_required

from . import charts
from .selectors import home as home_selectors
from .selectors import search as search_selectors
from .selectors import todo as todo_selectors
from .selectors import trends as trends_selectors

#: How often the "Da fare" list refreshes itself, in seconds.
REFRESH_SECONDS = 10


def _todo_context(request) -> dict:
    return {"todo": todo_selectors.todo(request.user), "refresh": REFRESH_SECONDS}


@portal_user_required
@require_GET
def home(request):
    todo, coming = home_selectors.home(request.user)
    context = {"todo": todo, "coming": coming, "refresh": REFRESH_SECONDS}
    return render(request, "cockpit/home.html", context)


@portal_user_required
@require_GET
def todo_fragment(request):
    return render(request, "cockpit/partials/todo.html", _todo_context(request))


@portal_user_required
@require_GET
def trends(request):
    series = trends_selectors.trends(request.user)
    return render(
        request,
        "cockpit/trends.html",
        {"charts": [(s, charts.bar_chart(s)) for s in series]},
    )


@portal_user_required
@require_GET
def search(request):
    q = request.GET.get("q", "")[:200]
    results = search_selectors.search(request.user, q) if q.strip() else None
    return render(request, "cockpit/search.html", {"q": q, "results": results})
