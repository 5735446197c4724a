from __future__ import annotations

import factory
from werkzeug.security import generate_password_hash

from ethics_cases.accounts.models import Member, MembershipType, User, UserRole
from ethics_cases.security import Role

from .base import BaseFactory, current_session

PASSWORD = "correct horse battery staple"
# scrypt is slow on purpose; hash the shared test password once per run.
PASSWORD_HASH = generate_password_hash(PASSWORD)


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name")
    password_hash = PASSWORD_HASH
    active = True

    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs: object) -> None:
        _grant(self, extracted or [], create)


def _grant(user: User, roles: list[Role], create: bool) -> None:
    for role in roles:
        user.role_grants.append(UserRole(role=Role(role).value))
    if create and roles:
        current_session().commit()


class MemberFactory(BaseFactory):
    class Meta:
        model = Member

    membership_number = factory.Sequence(lambda n: f"IMC-{10000 + n}")
    full_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"member{n}@example.org")
    membership_type = MembershipType.MENTOR.value
    credentials = "Certified Mentor"
    joined_on = factory.Faker("date_between", start_date="-8y", end_date="-1y")


class MemberUserFactory(UserFactory):
    """A signed-up member: a user with the member role, linked to a roll entry."""

    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs: object) -> None:
        _grant(self, extracted if extracted is not None else [Role.MEMBER], create)

    member = factory.RelatedFactory(
        MemberFactory, factory_related_name="user",
        full_name=factory.SelfAttribute("..full_name"), email=factory.SelfAttribute("..email"),
    )
