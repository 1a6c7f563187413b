export type { GithubActionsInput, PipelineEnvironment } from "./input";
export { renderGithubActions } from "./render";
export { validateWorkflow } from "./validate";
