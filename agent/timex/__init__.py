"""Time expressions: the one reader of what people write about time, below reply reading and booking.

`read_times(text, now, prospect_tz)` reads a proposal ("Tuesday 10:30 PT works") into a `Reading`;
`date_mentions(text, today, zone_name)` lists the dates and periods a text names, for fields such
as an out-of-office return date. One vocabulary (English, Spanish, French, German, Portuguese),
one zone table and one set of rules serve both, so what a reply's fields say and what booking
does cannot disagree.
"""

from agent.timex.mentions import DateMention, date_mentions
from agent.timex.reading import GRID, Kind, Reading, grid_starts, read_times
from agent.timex.zones import zone_of

__all__ = ["GRID", "DateMention", "Kind", "Reading", "date_mentions", "grid_starts", "read_times", "zone_of"]
