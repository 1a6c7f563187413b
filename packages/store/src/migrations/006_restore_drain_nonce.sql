-- `slipway up` after down or a reboot starts the live release again as a `restore` rollout;
-- a failed rollout stops everything of its target in `aborting` before it is `failed`.
alter table rollouts drop constraint rollouts_kind_check;
alter table rollouts add constraint rollouts_kind_check check (kind in ('deploy', 'rollback', 'restore'));

-- A process leaves traffic at the switch and drains in the background: when it left is the
-- start of its drain budget, kept across control-plane restarts.
alter table processes add column drain_started_at timestamptz;
-- Written before the spawn and passed to the process (SLIPWAY_PROCESS_NONCE): a control plane
-- killed between the spawn and recording the pid finds the process by it, never orphans it.
alter table processes add column nonce text;
