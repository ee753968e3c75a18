"""`sdr serve`: the agent's small HTTP face: one-click unsubscribe, signed webhooks for leads and mail."""
