import { APP_DIR, APP_USER, VOLUME_DIR } from "./container";
import type { RenderedFile } from "./input";

/**
 * The image every container target runs: one per build, made from the app's source tree.
 * Node is pinned to the version Slipway is tested with, so an image built today and one built
 * next month run the same runtime.
 */
export const NODE_IMAGE = "node:20.20.2-bookworm-slim";

export interface DockerfileOptions {
  stack: string;
  /** The spec's `build.command`: argv run once in the source tree. Default: `npm ci --omit=dev`. */
  buildCommand?: string[];
  /** The source tree has a package-lock.json; without one (and no build command) nothing is installed, as locally. @default true */
  lockfile?: boolean;
}

/** What is never sent to the Docker daemon: installed dependencies, Slipway's state (keys, data), git, env files. */
const IGNORED = ["node_modules", "**/node_modules", ".slipway", ".git", ".env", ".env.*", "npm-debug.log*"];

/**
 * `Dockerfile` and `Dockerfile.dockerignore`, the ignore file BuildKit reads for a Dockerfile
 * of that name wherever it is. So `docker build -f OUT/Dockerfile .` run in the app's
 * directory never sends `.slipway/` (the master key, add-on data) to the daemon, even though the
 * rendered files are not in the build context's root. Pure: same options, same bytes.
 */
export function renderDockerfile(opts: DockerfileOptions): RenderedFile[] {
  return [
    { path: "Dockerfile", content: dockerfile(opts) },
    {
      path: "Dockerfile.dockerignore",
      content: [
        "# Rendered by Slipway. Never sent to the image: dependencies are installed inside it, and",
        "# .slipway/ holds the master key and add-on data.",
        ...IGNORED,
        "",
      ].join("\n"),
    },
  ];
}

function dockerfile(opts: DockerfileOptions): string {
  const build = buildStage(opts);
  return [
    `# Rendered by Slipway for the stack ${opts.stack}. Build it in the app's directory:`,
    `#   docker build -f path/to/this/Dockerfile -t ${opts.stack}:<build> .`,
    ...(build ? ["", ...build.lines] : []),
    "",
    "# Only what runs: the source and its production dependencies, no npm cache or build tools.",
    `FROM ${NODE_IMAGE}`,
    // As locally: the app's own binaries come first on PATH (["postgraphile"] runs the app's
    // dependency), and the same locale.
    `ENV PATH=${APP_DIR}/node_modules/.bin:/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8`,
    `WORKDIR ${APP_DIR}`,
    ...(build ? build.copy : ["COPY . ."]),
    // A named volume mounted here starts with this directory's owner, so the app can write it.
    `RUN ["install", "-d", "-o", "${APP_USER.name}", "-g", "${APP_USER.name}", "${VOLUME_DIR}"]`,
    // The source stays owned by root: the app cannot rewrite its own code.
    `USER ${APP_USER.uid}:${APP_USER.gid}`,
    "",
  ].join("\n");
}

/** The stage that installs or builds, and how the final stage takes its result; none when there is nothing to run. */
function buildStage(opts: DockerfileOptions): { lines: string[]; copy: string[] } | undefined {
  if (opts.buildCommand)
    return {
      lines: [
        "# The spec's build command, run once in the whole source tree.",
        `FROM ${NODE_IMAGE} AS build`,
        `WORKDIR ${APP_DIR}`,
        "COPY . .",
        `RUN ${JSON.stringify(opts.buildCommand)}`,
      ],
      copy: [`COPY --from=build ${APP_DIR} ${APP_DIR}`],
    };
  if (opts.lockfile === false) return undefined;
  return {
    lines: [
      "# Dependencies from the lockfile alone, so this layer is reused until the lockfile changes.",
      `FROM ${NODE_IMAGE} AS deps`,
      `WORKDIR ${APP_DIR}`,
      "COPY package.json package-lock.json ./",
      'RUN ["npm", "ci", "--omit=dev", "--no-audit", "--no-fund"]',
    ],
    copy: [`COPY --from=deps ${APP_DIR}/node_modules ${APP_DIR}/node_modules`, "COPY . ."],
  };
}
