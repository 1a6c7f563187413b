import type { Pipeline, PipelineEnvironment } from "./input";

/** A workflow file as data; `render.ts` turns it into YAML. */
export type Workflow = Record<string, unknown>;
type Job = Record<string, unknown>;
type Step = Record<string, unknown>;

const RUNNER = "ubuntu-latest";
/** A GitHub expression, `${{ … }}`. */
const expr = (e: string) => "${{ " + e + " }}";
/** Least privilege: the workflows read the repository and talk to Slipway with their own token. */
const READ_ONLY = { contents: "read" };

const checkout = (ref?: string): Step => ({
  uses: "actions/checkout@v4",
  ...(ref ? { with: { ref } } : {}),
});
const setupNode = (p: Pipeline): Step[] => [
  { uses: "actions/setup-node@v4", with: { "node-version": p.nodeVersion, cache: "npm" } },
  { run: "npm ci" },
];
/** The Slipway CLI finds the control plane and token in these, so no secret is ever on a command line. */
const slipwayEnv = (p: Pipeline) => ({
  SLIPWAY_URL: expr(`secrets.${p.secrets.url}`),
  SLIPWAY_TOKEN: expr(`secrets.${p.secrets.token}`),
});

/** The branches whose CI runs deploy somewhere; main when none does, so CI still runs on it. */
function deployBranches(p: Pipeline): string[] {
  const branches = p.environments.flatMap((e) => (e.autoDeployBranch ? [e.autoDeployBranch] : []));
  return branches.length > 0 ? [...new Set(branches)] : ["main"];
}

/**
 * ci: lint and test in parallel, then one build of the commit with its CycloneDX SBOM kept as an
 * artifact. The deployable build is made once by Slipway from the same commit and promoted from
 * there, never rebuilt per environment.
 */
export function ciWorkflow(p: Pipeline): Workflow {
  return {
    name: "ci",
    on: { push: { branches: deployBranches(p) }, pull_request: {} },
    permissions: READ_ONLY,
    concurrency: {
      group: `ci-${expr("github.ref")}`,
      "cancel-in-progress": expr("github.event_name == 'pull_request'"),
    },
    jobs: {
      lint: { "runs-on": RUNNER, steps: [checkout(), ...setupNode(p), { run: "npm run lint --if-present" }] },
      test: { "runs-on": RUNNER, steps: [checkout(), ...setupNode(p), { run: "npm test" }] },
      build: {
        "runs-on": RUNNER,
        needs: ["lint", "test"],
        steps: [
          checkout(),
          ...setupNode(p),
          { run: "npm run build --if-present" },
          {
            name: "SBOM (CycloneDX)",
            run: "npx --yes @cyclonedx/cyclonedx-npm@6 --omit dev --output-format JSON --output-file sbom.cdx.json",
          },
          {
            uses: "actions/upload-artifact@v4",
            with: { name: `sbom-${expr("github.sha")}`, path: "sbom.cdx.json" },
          },
        ],
      },
    },
  };
}

/** The command that brings a build into `env`: promote the upstream one, or build this commit. */
function shipStep(env: PipelineEnvironment, ref: string): Step {
  if (env.promotesFrom)
    return {
      name: `promote ${env.promotesFrom} → ${env.name}`,
      run: `npx slipway promote ${env.promotesFrom} ${env.name}`,
    };
  return {
    name: `deploy to ${env.name}`,
    env: { REF: ref },
    run: `npx slipway deploy --env ${env.name} --ref "$REF"`,
  };
}

/**
 * One job per environment, in the GitHub environment of the same name: that is where required
 * reviewers gate a deploy (configured in the repository's settings, see the docs), and where
 * GitHub records each deployment.
 */
function shipJob(p: Pipeline, env: PipelineEnvironment, ref: string, extra: Job = {}): Job {
  return {
    "runs-on": RUNNER,
    ...extra,
    environment: env.name,
    env: slipwayEnv(p),
    steps: [checkout(ref), ...setupNode(p), shipStep(env, ref)],
  };
}

/**
 * deploy: after CI passes on an auto-deploy branch, each environment that auto-deploys from it,
 * upstream first (dev builds the commit, staging promotes dev's build). A failure stops the chain
 * there. Runs queue rather than overlap, so each promotes the build its own run deployed.
 */
export function deployWorkflow(p: Pipeline): Workflow | undefined {
  const auto = p.environments.filter((e) => e.autoDeployBranch);
  if (auto.length === 0) return undefined;
  const run = "github.event.workflow_run";
  const jobs: Record<string, Job> = {};
  for (const env of auto) {
    const upstream = auto.find(
      (u) => u.name === env.promotesFrom && u.autoDeployBranch === env.autoDeployBranch,
    );
    jobs[env.name] = shipJob(p, env, expr(`${run}.head_sha`), {
      ...(upstream ? { needs: [upstream.name] } : {}),
      if: `${run}.conclusion == 'success' && ${run}.event == 'push' && ${run}.head_branch == '${env.autoDeployBranch}'`,
    });
  }
  return {
    name: "deploy",
    on: { workflow_run: { workflows: ["ci"], types: ["completed"], branches: deployBranches(p) } },
    permissions: READ_ONLY,
    concurrency: { group: "slipway-deploy", "cancel-in-progress": false },
    jobs,
  };
}

/**
 * promote-<env>: started by hand for an environment that does not auto-deploy (prod). With
 * `requiresApproval` its GitHub environment holds the job until a required reviewer approves.
 */
export function promoteWorkflow(p: Pipeline, env: PipelineEnvironment): Workflow {
  const byRef = env.promotesFrom === undefined;
  return {
    name: env.promotesFrom ? `promote ${env.promotesFrom} to ${env.name}` : `deploy to ${env.name}`,
    on: {
      workflow_dispatch: byRef
        ? { inputs: { ref: { description: "git ref to build and deploy", required: true, default: "main" } } }
        : {},
    },
    permissions: READ_ONLY,
    concurrency: { group: `slipway-${env.name}`, "cancel-in-progress": false },
    jobs: { [env.name]: shipJob(p, env, byRef ? expr("inputs.ref") : "") },
  };
}

/**
 * infra check: the spec validates (no secrets needed, so it runs for every pull request), then
 * each deployed environment's manifest and the differences along each promotion, so drift
 * between staging and prod shows before a promotion, not during it.
 */
export function infraWorkflow(p: Pipeline): Workflow {
  const deployed = p.environments.filter((e) => e.autoDeployBranch || e.promotesFrom || e.requiresApproval);
  const steps: Step[] = [
    ...deployed.map((e) => ({ run: `npx slipway manifest --env ${e.name}` })),
    ...deployed
      .filter((e) => e.promotesFrom)
      .map((e) => ({ run: `npx slipway diff ${e.promotesFrom} ${e.name}` })),
  ];
  return {
    name: "infra check",
    on: {
      pull_request: { paths: ["slipway.config.*", "package-lock.json"] },
      schedule: [{ cron: "17 6 * * *" }],
      workflow_dispatch: {},
    },
    permissions: READ_ONLY,
    jobs: {
      spec: { "runs-on": RUNNER, steps: [checkout(), ...setupNode(p), { run: "npx slipway validate" }] },
      ...(steps.length > 0
        ? {
            environments: {
              "runs-on": RUNNER,
              needs: ["spec"],
              // Pull requests from forks get no secrets; they stop at the spec check.
              if: "github.event_name != 'pull_request' || github.event.pull_request.head.repo.full_name == github.repository",
              env: slipwayEnv(p),
              steps: [checkout(), ...setupNode(p), ...steps],
            },
          }
        : {}),
    },
  };
}
