"""Inbound leads: a form fill or a demo request, answered within seconds with the right first answer.

`answer_lead(ws, lead, campaign)` (in `agent.inbound.answer`) upserts the account and contact,
researches and scores the account, reads the message, routes the lead (offer real slots, answer
the question, hand a partial fit to a person, decline politely, say nothing), queues the first
answer under the campaign's `inbound:` policy (sending it at once where the policy says), and
records the speed-to-lead.
"""
