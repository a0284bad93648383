-- Several desks (replicas) deliver one outbox: a worker claims an email (desk/store/mail.py)
-- for a while before sending it, so no other worker sends it meanwhile; a claim left by a
-- worker that stopped lapses at `claimed_until` and the email is tried again.
ALTER TABLE mail_outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE mail_outbox ADD COLUMN claimed_until TEXT;
