"""Retrieval over past calls: transcripts in, chunks along speaker turns, Chroma, cited snippets out.

`transcript` parses files, `chunking` cuts turns into chunks, `index` is the Chroma store,
`ingest` fills it, `retrieve.find_snippets` is what drafting and replies ask.
"""
