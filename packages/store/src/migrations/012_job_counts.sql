-- Workers' job outcomes per release and service, as workers report them through the runtime
-- SDK: what a canary's workers are judged on. Cumulative counts (the judge subtracts what was
-- counted when a step began), durations in geometric buckets (core `durationBucket`), so
-- reports from many processes add up in one statement each and survive a control-plane restart.
create table job_counts (
  release_id text not null references releases(id),
  service text not null,
  outcome text not null check (outcome in ('completed', 'failed')),
  bucket int not null check (bucket >= 0),
  count bigint not null check (count >= 0),
  primary key (release_id, service, outcome, bucket)
);
