import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isSlipwayError } from "@slipway/core";
import { describe, expect, it } from "vitest";
import { type GithubActionsInput, githubActionsInputFromStack } from "./input";
import { renderGithubActions } from "./render";
import { validateWorkflow } from "./validate";

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), "../../test/golden/github-actions");

/** The seeds' pipeline: dev and staging auto-deploy from main, prod promoted by hand after review. */
const shop: GithubActionsInput = {
  stack: "shop",
  environments: [
    { name: "local" },
    { name: "dev", autoDeployBranch: "main" },
    { name: "staging", autoDeployBranch: "main", promotesFrom: "dev" },
    { name: "prod", requiresApproval: true, promotesFrom: "staging" },
  ],
};

describe("renderGithubActions", () => {
  const files = renderGithubActions(shop);

  it("matches the golden files (UPDATE_GOLDEN=1 to accept a change)", () => {
    if (process.env.UPDATE_GOLDEN === "1") {
      rmSync(GOLDEN, { recursive: true, force: true });
      for (const f of files) {
        mkdirSync(dirname(join(GOLDEN, f.path)), { recursive: true });
        writeFileSync(join(GOLDEN, f.path), f.content);
      }
    }
    const golden = readdirSync(join(GOLDEN, ".github/workflows")).sort();
    expect(files.map((f) => f.path.replace(".github/workflows/", "")).sort()).toEqual(golden);
    for (const f of files) expect(f.content, f.path).toBe(readFileSync(join(GOLDEN, f.path), "utf8"));
  });

  it("renders ci, deploy, a promotion to prod and an infra check, each valid against GitHub's schema", () => {
    expect(files.map((f) => f.path)).toEqual([
      ".github/workflows/ci.yml",
      ".github/workflows/deploy.yml",
      ".github/workflows/promote-prod.yml",
      ".github/workflows/infra-check.yml",
    ]);
    for (const f of files) expect(validateWorkflow(f.content), f.path).toEqual([]);
  });

  it("is deterministic: same bytes every time, whatever the order of the environments", () => {
    const reordered = { ...shop, environments: [...shop.environments].reverse() };
    expect(renderGithubActions(reordered)).toEqual(files);
    expect(renderGithubActions(structuredClone(shop))).toEqual(files);
  });

  it("gates prod behind its GitHub environment and never puts a secret on a command line", () => {
    const promote = files.find((f) => f.path.endsWith("promote-prod.yml"))!.content;
    expect(promote).toContain("environment: prod");
    expect(promote).toContain("npx slipway promote staging prod");
    for (const f of files) {
      expect(f.content).not.toMatch(/run: .*secrets\./);
      expect(f.content).not.toMatch(/run: .*\$\{\{/); // expressions reach scripts through env, never spliced in
    }
  });

  it("chains staging after dev, and uses the secret names it is given", () => {
    const deploy = renderGithubActions({ ...shop, secrets: { url: "PROD_API", token: "DEPLOY_TOKEN" } })[1]!
      .content;
    expect(deploy).toMatch(/staging:\n(.*\n)*?\s+needs:\n\s+- dev/);
    expect(deploy).toMatch(/SLIPWAY_TOKEN: \$\{\{ secrets\.DEPLOY_TOKEN \}\}/);
    expect(deploy).toMatch(/SLIPWAY_URL: \$\{\{ secrets\.PROD_API \}\}/);
  });

  it("gives an environment that builds commits by hand a ref to deploy, and renders no deploy.yml without auto-deploys", () => {
    const files = renderGithubActions({
      stack: "s",
      environments: [{ name: "prod", requiresApproval: true }],
    });
    expect(files.map((f) => f.path)).toEqual([
      ".github/workflows/ci.yml",
      ".github/workflows/promote-prod.yml",
      ".github/workflows/infra-check.yml",
    ]);
    const prod = files[1]!.content;
    expect(prod).toContain("inputs:\n      ref:");
    expect(prod).toContain('npx slipway deploy --env prod --ref "$REF"');
  });

  it("refuses input a workflow cannot express, naming the field", () => {
    const refused = (input: GithubActionsInput) => {
      try {
        renderGithubActions(input);
      } catch (e) {
        return isSlipwayError(e) ? `${e.code} ${e.message}` : String(e);
      }
      return "rendered";
    };
    expect(refused({ stack: "s", environments: [{ name: "prod", promotesFrom: "stagign" }] })).toBe(
      'SLW_BAD_REQUEST environments[0].promotesFrom: no environment named "stagign"',
    );
    expect(
      refused({
        stack: "s",
        environments: [
          { name: "a", promotesFrom: "b" },
          { name: "b", promotesFrom: "a" },
        ],
      }),
    ).toBe("SLW_BAD_REQUEST environments[0].promotesFrom: promotions go round in a cycle (a, b)");
    expect(refused({ stack: "s", environments: [{ name: "Prod $(id)" }] })).toMatch(
      /environments\[0\]\.name/,
    );
    expect(refused({ stack: "s", environments: [], secrets: { token: "A-B" } })).toMatch(/secrets\.token/);
  });
});

describe("githubActionsInputFromStack", () => {
  it("reads the promotion rules as the loaded spec has them, and renders the same pipeline", () => {
    // The shape @slipway/spec's loader returns (defaults filled in); render may not import spec.
    const env = { services: {}, requiresApproval: false, soakMinutes: 0, freeze: [] };
    const loaded = {
      name: "shop",
      environments: {
        local: env,
        dev: { ...env, autoDeploy: { branch: "main" } },
        staging: { ...env, autoDeploy: { branch: "main" }, promotesFrom: "dev" },
        prod: { ...env, requiresApproval: true, promotesFrom: "staging", soakMinutes: 30 },
      },
    };
    expect(renderGithubActions(githubActionsInputFromStack(loaded))).toEqual(renderGithubActions(shop));
  });
});

describe("validateWorkflow", () => {
  it("catches what GitHub would refuse, with the path", () => {
    expect(validateWorkflow("on: pushh\njobs: {}\n").join("\n")).toContain("at /on:");
    const noRunner = "on: push\njobs:\n  a:\n    steps:\n      - run: x\n";
    expect(validateWorkflow(noRunner).join("\n")).toContain("runs-on");
    expect(validateWorkflow("on: [push\n")[0]).toMatch(/^not YAML/);
  });
});
