-- Environments and promotion: one build moves dev → staging → prod under each environment's
-- rule. Environments are named (stack, name) here, not by their row: auto-deploy and holds
-- can be set for an environment that has not been brought up yet.

-- The approver role: may approve or reject promotions (and deploy); an admin may too.
alter table tokens drop constraint tokens_role_check;
alter table tokens add constraint tokens_role_check
  check (role in ('viewer', 'deployer', 'approver', 'admin'));

-- A request to release a build of `from_env` into `to_env`. States:
--   awaiting-approval → released (approved and rolled out) | rejected
--   released (no approval needed)
create table promotions (
  id text primary key,
  stack_id text not null references stacks(id),
  from_env text not null,
  to_env text not null,
  build_id text not null references builds(id),
  -- the release of the build in from_env that was asked for
  from_release_id text not null references releases(id),
  state text not null check (state in ('awaiting-approval', 'released', 'rejected')),
  requested_by text not null,
  requested_at timestamptz not null default now(),
  decided_by text,
  decided_at timestamptz,
  reason text,
  rollout_id text references rollouts(id)
);
-- One promotion waits for approval per environment at a time.
create unique index one_awaiting_promotion on promotions (stack_id, to_env)
  where state = 'awaiting-approval';

-- A rejected build is never promoted again, anywhere. Rejections are never lifted.
create table build_rejections (
  build_id text primary key references builds(id),
  rejected_by text not null,
  reason text not null,
  at timestamptz not null default now()
);

-- Set when someone promoted an older build by hand: auto-deploy leaves the environment alone
-- until the hold is lifted.
create table environment_holds (
  stack_id text not null references stacks(id),
  env text not null,
  held_by text not null,
  reason text not null,
  at timestamptz not null default now(),
  primary key (stack_id, env)
);

-- Auto-deploy, turned on per environment by an admin (the spec says only from which branch).
-- `repo` is the git repository watched (a path or a URL); last_sha the last commit acted on.
create table auto_deploys (
  stack_id text not null references stacks(id),
  env text not null,
  repo text not null,
  enabled_by text not null,
  enabled_at timestamptz not null default now(),
  last_sha text,
  primary key (stack_id, env)
);
