"""Drafting: a personalised sequence per contact, from templates or the model, checked before review."""
