"""Replies: read every reply like a disciplined SDR, record what it says, act on it, hand off.

`handle_inbound` (ingest a message, classify it, act) is what the inbound server and
`sdr replies ingest` call; `classify_reply` is the store-free classifier behind
`sdr replies classify --jsonl`.
"""
