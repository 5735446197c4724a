"""Accounts: users with roles, members of the association, sign-in."""
