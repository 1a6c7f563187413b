-- Results written by the worker; job_id is BullMQ's id, unique so a replayed job writes once.
CREATE TABLE job_results (
  job_id text PRIMARY KEY,
  n integer NOT NULL,
  result bigint NOT NULL,
  attempts integer NOT NULL,
  release text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now()
);
