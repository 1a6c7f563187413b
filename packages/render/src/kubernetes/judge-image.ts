import { NODE_IMAGE } from "../dockerfile";
import type { RenderedFile } from "../input";
import type { K8sObject } from "./objects";
import { JUDGE_IMAGE, JUDGE_USER } from "./rollouts";

/**
 * The image the judge's AnalysisTemplates name (`slipway/cli:0.1.0`), rendered beside the
 * manifests so it can be built from the output alone: the Node image the services run on, the
 * Slipway CLI as one prebuilt file (`slipway.mjs`, the caller's own bundle: it needs no
 * node_modules) and a `slipway` command for it on PATH, run as the template's user.
 */

export const JUDGE_IMAGE_DIR = "judge-image";

/** Does any of the objects run the judge (a canary or blue/green web service)? */
export const runsJudge = (objects: K8sObject[]) => objects.some((o) => o.kind === "AnalysisTemplate");

/** How to build and push the judge image from a render written to `out`. */
export const judgeImageBuild = (out: string) =>
  `docker build -t ${JUDGE_IMAGE} ${out}/${JUDGE_IMAGE_DIR} && docker push ${JUDGE_IMAGE}`;

/** The image's files; `cliBundle` is the prebuilt CLI (packages/cli/dist/slipway.mjs). */
export function judgeImageFiles(cliBundle: string): RenderedFile[] {
  const file = (name: string, content: string) => ({ path: `${JUDGE_IMAGE_DIR}/${name}`, content });
  return [
    file("Dockerfile", dockerfile()),
    // Resolved through its symlink, so the import is of the bundle beside it in /opt/slipway.
    file(
      "slipway",
      '#!/usr/bin/env node\n// The judge image\'s `slipway` command: the prebuilt CLI beside it.\nimport("./slipway.mjs");\n',
    ),
    file("slipway.mjs", cliBundle),
  ];
}

function dockerfile(): string {
  return [
    "# Rendered by Slipway: the image the *-slipway-judge AnalysisTemplates run, whose",
    "# `slipway judge` applies Slipway's sequential judge to Prometheus counts. Build and push it:",
    `#   docker build -t ${JUDGE_IMAGE} judge-image && docker push ${JUDGE_IMAGE}`,
    "# For another registry, tag it there and set that image in the AnalysisTemplates.",
    `FROM ${NODE_IMAGE}`,
    "COPY slipway slipway.mjs /opt/slipway/",
    "RUN chmod 0755 /opt/slipway/slipway && ln -s /opt/slipway/slipway /usr/local/bin/slipway",
    // The templates run it with a read-only root file system as this user: it writes nothing.
    `USER ${JUDGE_USER}:${JUDGE_USER}`,
    'ENTRYPOINT ["slipway"]',
    'CMD ["judge", "--help"]',
    "",
  ].join("\n");
}
