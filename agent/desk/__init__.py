"""The review desk in the browser (`sdr serve`): reviewers approve, AEs close the loop, operators see
results. Every decision goes through the same functions the CLI calls (`agent.review`,
`agent.replies.handoff`, `agent.status`); the desk only signs people in and renders pages."""
