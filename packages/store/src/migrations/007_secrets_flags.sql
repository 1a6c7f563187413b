-- Secrets: every version kept, sealed by envelope encryption (a data key per version, wrapped
-- by the master key named by key_id). Nothing here opens without the master key. A version
-- is never changed: a rotation adds one.
create table secret_versions (
  environment_id text not null references environments(id),
  name text not null,
  version int not null,
  ciphertext text not null,
  wrapped_key text not null,
  key_id text not null,
  created_at timestamptz not null default now(),
  created_by text not null,
  primary key (environment_id, name, version)
);

create function secret_versions_immutable() returns trigger language plpgsql as $$
begin
  raise exception 'secret % v% is immutable', old.name, old.version
    using hint = 'rotate it: a new version is added, the old one stays in the history';
end $$;
create trigger secret_versions_immutable before update on secret_versions
  for each row execute function secret_versions_immutable();

-- Feature flags: the current state per environment, and every change (who, when, what).
create table flags (
  environment_id text not null references environments(id),
  name text not null,
  state jsonb not null,
  version int not null,
  updated_at timestamptz not null default now(),
  updated_by text not null,
  primary key (environment_id, name)
);

create table flag_changes (
  seq bigserial primary key,
  environment_id text not null references environments(id),
  name text not null,
  version int not null,
  state jsonb not null,
  at timestamptz not null default now(),
  actor text not null
);
create index flag_changes_by_flag on flag_changes (environment_id, name, seq);
