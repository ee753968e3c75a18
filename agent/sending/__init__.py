"""Sending: due, approved steps go out once, in the prospect's business hours, within caps."""
