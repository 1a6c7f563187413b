import type { RenderedFile, RenderInput } from "../input";
import type { ComposeAddon } from "./addons";
import { EDGE_PORT_VARIABLE } from "./names";

/**
 * `.env.example`: the secrets compose.yaml reads, which Slipway never writes itself. The user
 * copies it to `.env` beside compose.yaml and fills it; `docker compose` refuses to start while
 * one is empty (`${NAME:?…}`).
 */
export function composeEnvExample(input: RenderInput, addons: Record<string, ComposeAddon>): RenderedFile {
  const secrets = Object.values(addons).flatMap((a) => a.secrets);
  return {
    path: ".env.example",
    content: [
      `# Secrets of ${input.stack} (${input.env}) under Docker Compose. Copy this file to .env beside`,
      "# compose.yaml, fill in every value, keep it out of git and readable by you alone (chmod 600 .env).",
      "# The values go into connection URLs, so use URL-safe ones, for example: openssl rand -hex 32",
      ...secrets.flatMap(({ variable, meaning }) => [`# ${meaning}`, `${variable}=`]),
      "# The host port the edge listens on (80 when unset).",
      `# ${EDGE_PORT_VARIABLE}=80`,
      "",
    ].join("\n"),
  };
}
