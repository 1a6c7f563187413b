-- The rollout view and `slipway events --subject` read a subject's events by index, newest
-- first, whatever else the log holds (a flood of refused calls cannot hide them).
create index events_by_subject on events (subject, seq);

-- A token may expire; an expired or revoked one is refused with a message saying which.
alter table tokens add column expires_at timestamptz;
