import { SlipwayError } from "@slipway/core";
import { Document } from "yaml";
import type { RenderedFile } from "../input";
import { type GithubActionsInput, resolvePipeline } from "./input";
import { validateWorkflow } from "./validate";
import { ciWorkflow, deployWorkflow, infraWorkflow, promoteWorkflow, type Workflow } from "./workflows";

/**
 * The GitHub Actions workflows of a stack's pipeline, under `.github/workflows/`: ci, deploy
 * (auto-deploy environments), promote-<env> (by hand, behind the environment's reviewers) and
 * infra-check. Pure: the same input gives the same bytes. Every file is checked against GitHub's
 * workflow schema before it is returned; one that fails is a bug here (SLW_INTERNAL).
 */
export function renderGithubActions(input: GithubActionsInput): RenderedFile[] {
  const p = resolvePipeline(input);
  const deploy = deployWorkflow(p);
  const manual = p.environments.filter((e) => !e.autoDeployBranch && (e.promotesFrom || e.requiresApproval));
  const files: Array<[string, Workflow]> = [
    ["ci.yml", ciWorkflow(p)],
    ...(deploy ? [["deploy.yml", deploy] as [string, Workflow]] : []),
    ...manual.map((e) => [`promote-${e.name}.yml`, promoteWorkflow(p, e)] as [string, Workflow]),
    ["infra-check.yml", infraWorkflow(p)],
  ];
  return files.map(([name, workflow]) => {
    const file = { path: `.github/workflows/${name}`, content: toYaml(workflow, p.stack) };
    const problems = validateWorkflow(file.content);
    if (problems.length > 0)
      throw new SlipwayError(
        "SLW_INTERNAL",
        `rendered ${file.path} does not validate: ${problems.join("; ")}`,
      );
    return file;
  });
}

function toYaml(workflow: Workflow, stack: string): string {
  const doc = new Document(workflow);
  doc.commentBefore = ` Rendered by \`slipway render github-actions\` for the stack ${JSON.stringify(stack)}.\n Change slipway.config.ts and render again rather than editing this file.`;
  // lineWidth 0: long expressions stay on one line, as a reader would write them.
  return doc.toString({ lineWidth: 0 });
}
