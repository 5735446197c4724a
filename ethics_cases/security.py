"""Who may use which route.

Login is required by default (SecureDrop's approach): every view must declare its access with
exactly one of ``@public``, ``@login_required`` or ``@roles_required(...)``. A view that declares
nothing is refused to everyone, so a forgotten decorator fails closed, and the route-walk test
names it. The check runs once, in ``before_request``, before any view code.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import Flask, Request, abort, current_app, request
from flask_login import current_user

from .extensions import login_manager

F = TypeVar("F", bound=Callable[..., object])


class Role(enum.StrEnum):
    MEMBER = "member"
    COMMITTEE = "committee"
    CHAIR = "chair"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {
            "member": "Member",
            "committee": "Ethics committee",
            "chair": "Committee chair",
            "admin": "Administrator",
        }[self.value]


@dataclass(frozen=True)
class Access:
    """The access rule a view declares. ``roles`` is empty unless ``kind == "roles"``."""

    kind: str  # "public" | "login" | "roles"
    roles: frozenset[Role] = frozenset()

    def allows(self, user: object) -> bool:
        if self.kind == "public":
            return True
        if not getattr(user, "is_authenticated", False):
            return False
        if self.kind == "login":
            return True
        return any(user.has_role(role) for role in self.roles)  # type: ignore[attr-defined]


def _declare(view: F, access: Access) -> F:
    if hasattr(view, "access"):
        raise TypeError(f"{view.__name__} declares its access twice")
    view.access = access  # type: ignore[attr-defined]
    return view


def public(view: F) -> F:
    """Anyone, signed in or not, may use this view."""
    return _declare(view, Access("public"))


def login_required(view: F) -> F:
    """Any signed-in user may use this view (it checks finer entitlements itself)."""
    return _declare(view, Access("login"))


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Signed-in users holding any one of ``roles`` may use this view."""
    if not roles:
        raise TypeError("roles_required needs at least one role")

    def decorator(view: F) -> F:
        return _declare(view, Access("roles", frozenset(roles)))

    return decorator


def access_of(endpoint: str | None) -> Access | None:
    if endpoint is None:
        return None
    if endpoint == "static":
        return Access("public")
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access", None)


def _enforce_access() -> object:
    if request.endpoint is None:  # 404/405: let the error handlers answer
        return None
    access = access_of(request.endpoint)
    if access is None:
        current_app.logger.error("View %s declares no access rule; refused", request.endpoint)
        abort(403)
    if access.allows(current_user):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    abort(403)


class FormSafeRequest(Request):
    """A multipart part whose name header is malformed (e.g. a raw newline inside the quotes)
    reaches ``request.form`` under the key None, and Flask-WTF's CSRF check then fails with an
    AttributeError: a 500 for any POST anyone can send. Such fields are dropped instead."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        for name in ("form", "files"):
            data = self.__dict__.get(name)
            if data is not None and None in data:
                self.__dict__[name] = type(data)(
                    (key, value) for key, value in data.items(multi=True) if key is not None)


def init_app(app: Flask) -> None:
    app.request_class = FormSafeRequest
    app.before_request(_enforce_access)
