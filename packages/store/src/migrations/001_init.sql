-- Desired state, observed state and the event log of one Slipway control plane.

create table stacks (
  id text primary key,
  name text not null unique,
  dir text not null,
  created_at timestamptz not null default now()
);

create table environments (
  id text primary key,
  stack_id text not null references stacks(id),
  name text not null,
  -- desired: active (running) or stopped (after `slipway down`)
  desired text not null default 'active' check (desired in ('active', 'stopped')),
  public_port int,
  -- where the edge sends its request logs (per-revision latency), fixed once
  edge_log_port int,
  internal_ports jsonb not null default '{}',
  live_release_id text,
  created_at timestamptz not null default now(),
  unique (stack_id, name)
);

create table addon_instances (
  id text primary key,
  environment_id text not null references environments(id),
  name text not null,
  kind text not null check (kind in ('postgres', 'redis', 'bucket')),
  port int not null,
  -- sealed with the control plane's key (AES-256-GCM); never stored in the clear
  password_sealed text not null,
  data_dir text not null,
  pid int,
  created_at timestamptz not null default now(),
  unique (environment_id, name)
);

create table builds (
  id text primary key,               -- sha256 of the source tree: content-addressed
  stack_id text not null references stacks(id),
  source text not null,              -- "working tree" or the git ref asked for
  git_sha text,
  dir text not null,
  status text not null check (status in ('building', 'ready', 'failed')),
  output text not null default '',
  created_at timestamptz not null default now()
);

create table releases (
  id text primary key,
  environment_id text not null references environments(id),
  number int not null,
  build_id text not null references builds(id),
  config jsonb not null,             -- resolved services (env, scale, health): never edited
  config_hash text not null,
  description text not null,
  rollback_of text references releases(id),
  job_status text not null check (job_status in ('none', 'pending', 'running', 'succeeded', 'failed')),
  job_pid int,
  job_exit int,
  created_at timestamptz not null default now(),
  unique (environment_id, number)
);

create table rollouts (
  id text primary key,
  environment_id text not null references environments(id),
  kind text not null check (kind in ('deploy', 'rollback')),
  from_release_id text references releases(id),
  to_release_id text references releases(id),
  source text,                       -- what to build for a deploy ("working tree" or a git ref)
  config jsonb,                      -- the resolved spec captured when the deploy was asked for
  phase text not null,
  error jsonb,
  actor text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- At most one rollout in flight per environment.
create unique index one_active_rollout on rollouts (environment_id)
  where phase not in ('succeeded', 'failed');

create table processes (
  id text primary key,               -- env/release/service/replica
  environment_id text not null references environments(id),
  release_id text not null references releases(id),
  service text not null,
  replica int not null,
  port int,
  pid int,
  start_time text,
  desired text not null check (desired in ('running', 'stopped')),
  state text not null default 'starting',
  restarts int not null default 0,
  updated_at timestamptz not null default now()
);

create table tokens (
  id text primary key,
  name text not null,
  role text not null check (role in ('viewer', 'deployer', 'admin')),
  hash text not null unique,         -- sha256 of the token; the token itself is shown once
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);

create table events (
  seq bigserial primary key,
  at timestamptz not null default now(),
  actor text not null,
  kind text not null,
  subject text not null,
  message text not null,
  data jsonb not null default '{}'
);

-- The event log is append-only: history is evidence.
create function events_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'the event log is append-only';
end $$;
create trigger events_no_update before update or delete on events
  for each row execute function events_append_only();
