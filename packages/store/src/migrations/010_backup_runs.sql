-- Backup work on postgres add-ons: base backups, restores and drills. The backups themselves
-- live in each add-on's repository; these rows say who asked, when, and what came of it.
-- One transition per row: running → succeeded | failed (guarded on 'running').
create table backup_runs (
  id text primary key,
  environment_id text not null references environments(id),
  addon text not null,
  kind text not null check (kind in ('base', 'restore', 'drill')),
  state text not null check (state in ('running', 'succeeded', 'failed')),
  requested_by text not null,
  started_at timestamptz not null,
  finished_at timestamptz,
  -- restore and drill: 'latest' or the ISO time asked for
  target text,
  -- base: the backup taken; restore and drill: the one replayed from
  backup_id text,
  -- restore and drill: the last commit replayed, and the newest heartbeat in the copy
  restored_to timestamptz,
  newest_heartbeat timestamptz,
  -- drill: measured RPO (drill moment − newest heartbeat) and RTO (start → accepting queries);
  -- double precision, as node-postgres hands a bigint back as a string
  rpo_ms double precision,
  rto_ms double precision,
  over_target boolean,
  -- restore: the new instance ({ dataDir, port }), kept until switched to or removed
  instance jsonb,
  error text,
  -- restore: when the environment was switched onto the new instance, and the instance it replaced
  switched_at timestamptz,
  replaced jsonb
);
create index backup_runs_by_addon on backup_runs (environment_id, addon, kind, started_at desc);
