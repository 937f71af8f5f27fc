"""Operator staff screens for versioned service configuration.

Editing a live service makes a draft version (checked by the same checker as the
loader); staff compare the draft with the live version and publish it, or discard
it. Every page needs a TOTP-verified staff session and ``catalog.configure``; the
state changes go through ``services`` (one transaction, one audit event each).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml
from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ekseva.accounts.decorators import staff_required
from ekseva.accounts.permissions import require
from ekseva.core.money import format_inr

from . import selectors, services, spec, yamlio
from .models import CatalogError, Service, ServiceVersion

MAX_DEFINITION_CHARS = 200_000


def _say(exc: CatalogError) -> str:
    """A catalogue refusal in the reader's language."""
    return exc.hi if translation.get_language() == "hi" else exc.en


def _service(request: HttpRequest, code: str) -> Service:
    require(request.user, "catalog.configure")
    return get_object_or_404(Service.objects.select_related("department"), code=code)


def _version(service: Service, number: int) -> ServiceVersion:
    return get_object_or_404(ServiceVersion, service=service, number=number)


class DefinitionForm(forms.Form):
    """The YAML of a service definition, checked as ``ekseva services check`` checks
    a file, plus: the code and department of a service do not change on the screen."""

    definition = forms.CharField(
        label=gettext_lazy("Definition (YAML)"),
        max_length=MAX_DEFINITION_CHARS,
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 40, "cols": 110, "spellcheck": "false", "class": "definition-editor"}
        ),
    )
    based_on_hash = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, service: Service, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service = service

    def clean_definition(self) -> dict:
        text = self.cleaned_data["definition"]
        try:
            tree = yamlio.load(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            raise forms.ValidationError(
                _("Line %(line)s: not valid YAML: %(problem)s")
                % {"line": mark.line + 1 if mark else 1, "problem": exc.problem},
                code="yaml",
            ) from exc
        except yaml.YAMLError as exc:
            raise forms.ValidationError(
                _("Line %(line)s: not valid YAML: %(problem)s") % {"line": 1, "problem": exc},
                code="yaml",
            ) from exc
        if not isinstance(tree, dict):
            raise forms.ValidationError(
                _("Line 1: a definition must be a mapping of keys."), code="top"
            )
        definition, issues = spec.check_service(tree)
        problems = [
            (yamlio.line_of(tree, i.path), yamlio.field_label(tree, i.path), i.message)
            for i in issues
        ]
        if tree.get("code") != self.service.code:
            problems.append(
                (
                    yamlio.line_of(tree, ("code",)),
                    "code",
                    _("the code must stay %(code)s (make a new service for a new code)")
                    % {"code": self.service.code},
                )
            )
        if tree.get("department") != self.service.department.code:
            problems.append(
                (
                    yamlio.line_of(tree, ("department",)),
                    "department",
                    _("the department must stay %(department)s")
                    % {"department": self.service.department.code},
                )
            )
        if problems:
            raise forms.ValidationError(
                [
                    forms.ValidationError(
                        _("Line %(line)s, field %(field)s: %(message)s")
                        % {"line": line, "field": field, "message": message},
                        code="definition",
                    )
                    for line, field, message in sorted(problems, key=lambda p: p[0])
                ]
            )
        assert definition is not None
        return definition


@dataclass(frozen=True)
class ShownChange:
    """One change as the compare page prints it."""

    path: str
    old: str
    new: str
    added: bool
    removed: bool


def _shown(path: str, value: Any) -> str:
    if value is None:
        return "—"
    if path.endswith("_paise") and isinstance(value, int) and not isinstance(value, bool):
        return format_inr(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _changes(live: ServiceVersion | None, draft: ServiceVersion) -> list[ShownChange]:
    base = live if live is not None else ServiceVersion(definition={})
    return [
        ShownChange(
            c.path, _shown(c.path, c.old), _shown(c.path, c.new), c.old is None, c.new is None
        )
        for c in services.compare(base, draft)
    ]


@staff_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    require(request.user, "catalog.configure")
    return render(
        request,
        "catalog/manage/index.html",
        {"services": selectors.managed_services(), "lang": translation.get_language()},
    )


@staff_required
@require_GET
def service_page(request: HttpRequest, code: str) -> HttpResponse:
    service = _service(request, code)
    return render(
        request,
        "catalog/manage/service.html",
        {
            "service": service,
            "versions": selectors.version_history(service),
            "draft": selectors.open_draft(service),
            "lang": translation.get_language(),
        },
    )


@staff_required
@require_GET
def version_page(request: HttpRequest, code: str, number: int) -> HttpResponse:
    service = _service(request, code)
    version = _version(service, number)
    text = selectors.editable_yaml(version.definition)
    if request.GET.get("download") == "yaml":
        response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{service.code}.yaml"'
        return response
    return render(
        request,
        "catalog/manage/version.html",
        {"service": service, "version": version, "text": text},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """GET: the version's definition as YAML; POST: check it and make the draft."""
    service = _service(request, code)
    based_on = _version(service, number)
    status = 200
    if request.method == "POST":
        form = DefinitionForm(request.POST, service=service)
        if form.is_valid():
            try:
                draft = services.draft_from_edit(
                    service,
                    form.cleaned_data["definition"],
                    request.user,
                    based_on=based_on,
                    based_on_hash=form.cleaned_data["based_on_hash"],
                )
            except CatalogError as exc:
                form.add_error(None, _say(exc))
                status = 409
            else:
                messages.success(
                    request,
                    _("Draft version %(number)s saved. Compare it, then publish.")
                    % {"number": draft.number},
                )
                return redirect("catalog:manage:draft", code=service.code)
        else:
            status = 400
    else:
        form = DefinitionForm(
            initial={
                "definition": selectors.editable_yaml(based_on.definition),
                "based_on_hash": based_on.content_hash,
            },
            service=service,
        )
    return render(
        request,
        "catalog/manage/edit.html",
        {"service": service, "based_on": based_on, "form": form},
        status=status,
    )


@staff_required
@require_GET
def draft_page(request: HttpRequest, code: str) -> HttpResponse:
    """The open draft compared with the published version."""
    service = _service(request, code)
    draft = selectors.open_draft(service)
    if draft is None:
        raise Http404
    live = service.current_version
    return render(
        request,
        "catalog/manage/draft.html",
        {"service": service, "draft": draft, "live": live, "changes": _changes(live, draft)},
    )


@staff_required
@require_POST
def publish(request: HttpRequest, code: str, number: int) -> HttpResponse:
    service = _service(request, code)
    version = _version(service, number)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that you have read the changes."))
        return redirect("catalog:manage:draft", code=service.code)
    try:
        services.publish_reviewed(
            version, request.user, reviewed_hash=request.POST.get("reviewed_hash", "")
        )
    except CatalogError as exc:
        messages.error(request, _say(exc))
    else:
        messages.success(
            request,
            _("Version %(number)s is published: new applications use it.")
            % {"number": version.number},
        )
    return redirect("catalog:manage:service", code=service.code)


@staff_required
@require_POST
def discard(request: HttpRequest, code: str, number: int) -> HttpResponse:
    service = _service(request, code)
    version = _version(service, number)
    try:
        services.discard_draft(version, request.user)
    except CatalogError as exc:
        messages.error(request, _say(exc))
    else:
        messages.success(
            request, _("Draft version %(number)s discarded.") % {"number": version.number}
        )
    return redirect("catalog:manage:service", code=service.code)
