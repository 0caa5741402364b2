"""The tenant scope of the running request or task: whose rows PostgreSQL's row-level security shows.

The application scopes every query itself (`for_user`, salonbot/tenancy.py); the database scopes
them again, so a query that forgets to is still confined. A scope is one of:

- an owner's: the rows of the salons that user owns;
- the platform's: every row (super admins, Celery tasks, the WhatsApp webhook, management commands);
- none: no tenant row at all (anonymous requests, code that forgot to say who it acts for).

It lives in a context variable, so it follows the request or task that set it and nothing else.
The database backend (salonbot/db/base.py) hands it to PostgreSQL before the next statement whenever
it differs from what the connection has; the policies (salonbot/db/rls.py) compare rows with it.
Where the scope is set: TenantScopeMiddleware for requests (it follows `request.user`, whoever
authenticated it: the session for the admin, JWT for the API), the task_prerun signal for Celery,
`platform_scope()` in the webhook view, and manage.py for management commands.

This module imports no model, so the Celery app and manage.py can use it before Django is set up.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.utils.functional import LazyObject, empty


@dataclass(frozen=True)
class Scope:
    """What the database may show: every row (`platform`), one owner's salons, or nothing."""

    platform: bool = False
    owner_id: str = ""

    def __str__(self) -> str:
        if self.platform:
            return "platform"
        return f"owner:{self.owner_id}" if self.owner_id else "none"


PLATFORM = Scope(platform=True)
NO_SCOPE = Scope()

_current: contextvars.ContextVar[Scope | RequestScope | None] = contextvars.ContextVar(
    "salonbot_tenant_scope", default=None
)


def scope_for_user(user) -> Scope:
    """A super admin acts for the platform, an owner for their salons, anyone else for nothing."""
    if user is None or not getattr(user, "is_authenticated", False):
        return NO_SCOPE
    if getattr(user, "is_super_admin", False):
        return PLATFORM
    return Scope(owner_id=str(user.pk))


class RequestScope:
    """The scope of `request.user` as it stands when a statement runs.

    DRF authenticates inside the view and sets `request.user` on the Django request then; the
    admin's user is a lazy object the session resolves. A user not resolved yet is no scope: the
    scope never triggers a query of its own (it is computed before each statement).
    """

    __slots__ = ("request",)

    def __init__(self, request) -> None:
        self.request = request

    def resolve(self) -> Scope:
        return scope_for_user(resolved_user(self.request))


def resolved_user(request):
    """`request.user` if authentication has run, else None; never runs a query to find out."""
    user = request.__dict__.get("user")
    if isinstance(user, LazyObject):
        user = user._wrapped
        if user is empty:
            return None
    return user


def current_scope() -> Scope:
    value = _current.get()
    if value is None:
        return NO_SCOPE
    if isinstance(value, RequestScope):
        return value.resolve()
    return value


@contextmanager
def tenant_scope(scope: Scope | RequestScope) -> Iterator[None]:
    token = _current.set(scope)
    try:
        yield
    finally:
        _current.reset(token)


def platform_scope():
    """Every row: for work done on the platform's behalf (tasks, webhooks, operators' commands)."""
    return tenant_scope(PLATFORM)


def acting_for(user):
    """The rows `user` may see, for code that acts for a user outside a request."""
    return tenant_scope(scope_for_user(user))


def enter(scope: Scope | RequestScope) -> contextvars.Token:
    """Set the scope until `leave(token)`; for hooks that cannot wrap a block (Celery signals)."""
    return _current.set(scope)


def leave(token: contextvars.Token) -> None:
    _current.reset(token)


class TenantScopeMiddleware:
    """Every request runs in the scope of its user (see RequestScope); nothing leaks to the next."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with tenant_scope(RequestScope(request)):
            return self.get_response(request)
