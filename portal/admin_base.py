"""What the apps' admin pages share: read-only pages and inlines (history, documents, calls),
the calls' own page and the "refresh from Openapi" action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.utils.translation import gettext as _

from openapi_pec import errors


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under their object, never added, edited or deleted here."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the portal writes (the ledger, the history, the reminders sent): listed and shown
    here, never added or changed."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RemoteCallInline(ReadOnlyInline):
    """An object's calls to Openapi (portal/remote_calls.py)."""

    fields = ("kind", "state", "attempts", "price", "last_error", "created_at", "finished_at")


class RemoteCallAdmin(admin.ModelAdmin):
    """The calls to Openapi: recorded by the portal only, read-only here."""

    list_filter = ("kind", "state")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False


def refresh_action(refresh: Callable[[Any], Any], description) -> Callable:
    """An admin action reading the selected objects again from Openapi (``refresh(obj)``), those
    Openapi knows; it counts those done and those failed."""

    @admin.action(description=description)
    def action(modeladmin, request, queryset):
        done = failed = 0
        for obj in queryset.exclude(remote_id=None):
            try:
                refresh(obj)
                done += 1
            except errors.OpenapiError:
                failed += 1
        modeladmin.message_user(
            request,
            _("Aggiornate: %(done)d; non riuscite: %(failed)d.") % {"done": done, "failed": failed},
            messages.SUCCESS if not failed else messages.WARNING,
        )

    return action
