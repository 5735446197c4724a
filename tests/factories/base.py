"""The session factories write through, bound per test by the ``db_session`` fixture."""

from __future__ import annotations

from contextvars import ContextVar, Token

import factory
from sqlalchemy.orm import Session

_session: ContextVar[Session | None] = ContextVar("factory_session", default=None)


def bind_session(session: Session) -> Token[Session | None]:
    return _session.set(session)


def unbind_session(token: Token[Session | None]) -> None:
    _session.reset(token)


def current_session() -> Session:
    session = _session.get()
    if session is None:
        raise RuntimeError("factories need the db_session fixture")
    return session


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = current_session
        sqlalchemy_session_persistence = "commit"
