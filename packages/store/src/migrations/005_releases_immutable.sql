-- A release (build + config for one environment, numbered once) is never edited: a rollback
-- makes a new release. Only the progress of its release job (status, pid, exit code) moves
-- after it is created, so the database refuses any other change, whoever asks.
create function releases_immutable() returns trigger language plpgsql as $$
begin
  if (new.id, new.environment_id, new.number, new.build_id, new.config, new.config_hash,
      new.description, new.rollback_of, new.created_at)
     is distinct from
     (old.id, old.environment_id, old.number, old.build_id, old.config, old.config_hash,
      old.description, old.rollback_of, old.created_at) then
    raise exception 'release % (v%) is immutable: only its release job''s status may change', old.id, old.number
      using hint = 'make a new release instead (a deploy or a rollback)';
  end if;
  return new;
end $$;
create trigger releases_immutable before update on releases
  for each row execute function releases_immutable();
