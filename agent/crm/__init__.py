"""The CRM kept in step: accounts and contacts imported from a CRM's list, and what the agent did
(steps sent, replies read, meetings booked, handoffs) written back as activities, once each."""
