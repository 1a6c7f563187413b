-- Canary and blue/green rollouts: the step machine's state (with each step's baseline counters)
-- is stored on the rollout before anything is done about it, so a restarted control plane
-- resumes from the same step with the same weights. `command` is a human's pause, resume,
-- promote or abort waiting for the next tick, which clears it when it stores the state.
alter table rollouts add column step_state jsonb;
alter table rollouts add column command text
  check (command in ('pause', 'resume', 'promote', 'abort'));

-- Every judgement of a canary, with its numbers: the rollout's timeline.
create table rollout_judgements (
  id bigserial primary key,
  rollout_id text not null references rollouts(id),
  at timestamptz not null,
  step int not null,
  weight int not null,
  verdict text not null,
  -- what the rollout did: set-weight, hold, roll-back, finish
  action text not null,
  reason text not null,
  judgement jsonb
);
create index rollout_judgements_by_rollout on rollout_judgements (rollout_id, id);
