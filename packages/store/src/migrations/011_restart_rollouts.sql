-- A restart rolls out a new release of the live build and config with other secret versions
-- (a rotation published or withdrawn): its own kind, so releases and events say so instead of
-- passing it off as a rollback.
alter table rollouts drop constraint rollouts_kind_check;
alter table rollouts add constraint rollouts_kind_check check (kind in ('deploy', 'rollback', 'restore', 'restart'));
update rollouts set kind = 'restart' where kind = 'rollback' and actor = 'secrets';
