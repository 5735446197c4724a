"""People: users who sign in, and members of the association (who may not have an account yet).

A ``Member`` is an entry of the membership roll (imported, or created on registration); a
``User`` is someone who can sign in. A member who registers is linked to their roll entry, so
complaints can name members who have never signed in.
"""

from __future__ import annotations

import enum
import hashlib
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..security import Role
from ..types import UTCDateTime, utcnow


class MembershipType(enum.StrEnum):
    """The kinds of IMC professional named in the Code's definitions."""

    MENTOR = "mentor"
    MENTOR_SUPERVISOR = "mentor_supervisor"
    MENTOR_TRAINER = "mentor_trainer"
    CREDENTIAL_HOLDER = "credential_holder"
    MENTORING_STUDENT = "mentoring_student"
    TRAINING_CENTRE = "training_centre"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_login_count: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    role_grants: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    member: Mapped[Member | None] = relationship(back_populates="user", lazy="selectin")

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(grant.role) for grant in self.role_grants)

    def has_role(self, role: Role) -> bool:
        return any(grant.role == role.value for grant in self.role_grants)

    @property
    def is_committee(self) -> bool:
        """Committee members, the chair and administrators all work on cases."""
        return bool(self.roles & {Role.COMMITTEE, Role.CHAIR, Role.ADMIN})

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def set_password(self, password: str) -> None:
        # Werkzeug's default is scrypt with a random salt per hash.
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def credential_tag(self) -> str:
        """A short digest of the current password hash. It changes with the password."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:20]

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and in the remember-me cookie.

        It carries the credential tag, so changing or resetting the password ends every other
        session and every "keep me signed in" cookie: a stolen cookie dies with the password.
        """
        return f"{self.id}:{self.credential_tag}"

    @property
    def audit_subject(self):
        from .. import audit

        return audit.Subject("user", self.id)

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="role_grants")


class Member(db.Model):
    """An entry of the membership roll."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_number: Mapped[str] = mapped_column(String(40), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    membership_type: Mapped[str] = mapped_column(String(40))
    credentials: Mapped[str] = mapped_column(Text, default="")
    joined_on: Mapped[date | None] = mapped_column()
    ended_on: Mapped[date | None] = mapped_column()
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User | None] = relationship(back_populates="member")

    @property
    def type_label(self) -> str:
        try:
            return MembershipType(self.membership_type).label
        except ValueError:
            return self.membership_type

    @property
    def audit_subject(self):
        from .. import audit

        return audit.Subject("member", self.id)

    def __repr__(self) -> str:
        return f"<Member {self.membership_number}>"
