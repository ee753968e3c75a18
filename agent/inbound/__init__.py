"""Inbound leads: a form fill or a demo request, answered within seconds with the right first answer.

`answer_lead(ws, lead, campaign)` (in `agent.inbound.answer`) upserts the account and contact,
researches and scores the account, reads the message, routes the lead (offer real slots, answer
the question, hand a partial fit to a person, decline politely, say nothing), sends or queues the
first answer under the campaign's `inbound:` policy, and records the speed-to-lead.

Nothing is imported here: `agent.campaign` imports `agent.inbound.spec`, and the answering code
imports `agent.campaign`.
"""
