"""People's data: what is held about a person, exported on request, erased on request (GDPR
articles 15 and 17, CCPA), and purged after the retention period."""
