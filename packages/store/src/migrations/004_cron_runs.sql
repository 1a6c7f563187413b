-- One row per scheduled run of a cron service, written before the run is spawned (the
-- intent). A slot is claimed once (unique), so a control plane killed mid-run neither runs
-- that slot again nor loses track of the run: the next one finds the row and its runner.
create table cron_runs (
  id text primary key,
  environment_id text not null references environments(id),
  release_id text not null references releases(id),
  service text not null,
  slot timestamptz not null,          -- the scheduled time this run is for
  -- starting: claimed, maybe spawned; running: pid known; skipped: the previous run was still
  -- going (no overlap); unknown: the runner vanished without leaving its exit code
  state text not null check (state in ('starting', 'running', 'succeeded', 'failed', 'skipped', 'unknown')),
  pid int,
  exit_code int,
  started_at timestamptz,
  ended_at timestamptz,
  unique (environment_id, service, slot)
);
create index cron_runs_unfinished on cron_runs (state) where state in ('starting', 'running');
