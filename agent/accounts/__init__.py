"""Accounts and contacts: the import that brings them in."""
