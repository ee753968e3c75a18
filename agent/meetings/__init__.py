"""Meetings: book qualified prospects into real AE calendars, move and cancel them, never twice.

`requests.handle_meeting_request` is what reply handling and the inbound desk call when a prospect
asks for a meeting (or to move or cancel one); `decide` is the deterministic booking decision,
`booking` writes the calendar and queues the emails, `admin` lists meetings and seeds calendars.
"""
