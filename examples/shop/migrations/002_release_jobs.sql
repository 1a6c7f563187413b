-- One row per run of the release job (migrate.mjs), so tests can check it ran once per release.
CREATE TABLE release_jobs (
  release text NOT NULL,
  ran_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX release_jobs_release ON release_jobs (release);
