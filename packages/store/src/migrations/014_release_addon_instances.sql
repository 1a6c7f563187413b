-- Which instance of each add-on a release's processes use ({ name: { dataDir, port } }), frozen
-- when the release is made: a rollback to a release from before `backup restore --switch`
-- puts the services back on the instance they used then, and rolling forward returns to the
-- copy. Null in releases made before this: they use the add-on's current instance.
alter table releases add column addon_instances jsonb;

create or replace function releases_immutable() returns trigger language plpgsql as $$
begin
  if (new.id, new.environment_id, new.number, new.build_id, new.config, new.config_hash,
      new.description, new.rollback_of, new.created_at, new.addon_instances)
     is distinct from
     (old.id, old.environment_id, old.number, old.build_id, old.config, old.config_hash,
      old.description, old.rollback_of, old.created_at, old.addon_instances) then
    raise exception 'release % (v%) is immutable: only its release job''s status may change', old.id, old.number
      using hint = 'make a new release instead (a deploy or a rollback)';
  end if;
  return new;
end $$;

-- A restored copy removed by `slipway backup drop`: when, and by whom. Marked before its
-- instance is stopped and its directory removed, so a drop cut short is finished by the next.
alter table backup_runs add column dropped_at timestamptz;
alter table backup_runs add column dropped_by text;
