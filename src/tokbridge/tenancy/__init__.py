"""Merchants, their users, sign-in sessions, and tenant scoping of every query."""
