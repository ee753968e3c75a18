"""Retrieval over past calls: transcripts in, moments a rep can use out, each cited and labelled.

`transcript` parses files, `moments` cuts a call into exchanges (with `small_talk` taken out and
`kinds` labelling each), `index` is the Chroma store, `ingest` fills it, `library` is the
in-memory copy hybrid search runs on, and `retrieve.find_snippets` is what drafting asks.
"""
