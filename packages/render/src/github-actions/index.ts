export {
  type GithubActionsInput,
  githubActionsInputFromStack,
  type PipelineEnvironment,
  type StackPipeline,
} from "./input";
export { renderGithubActions } from "./render";
export { validateWorkflow } from "./validate";
