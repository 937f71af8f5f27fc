"""The developer outbox: read what the platform "sent" without a gateway."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from . import selectors


@never_cache
def outbox(request: HttpRequest) -> HttpResponse:
    if not getattr(settings, "DEV_OUTBOX", False):
        raise Http404
    to = request.GET.get("to", "").strip()[:254]
    messages = selectors.outbox_messages(to=to)
    return render(request, "notifications/outbox.html", {"messages_list": messages, "to": to})
