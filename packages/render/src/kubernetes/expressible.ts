import { addonsOf, SlipwayError } from "@slipway/core";
import type { RenderInput } from "../input";
import { namespaceOf } from "./objects";
import { scalingOf } from "./scaling";

interface Problem {
  field: string;
  message: string;
  hint: string;
}

/** A DNS name, optionally with a leading "*." (what an Ingress host may be). */
const INGRESS_HOST = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * What the spec says that Kubernetes cannot do as written: refused here, naming the field,
 * rather than rendered into something that behaves differently. (Health statuses outside
 * 200-399 are refused where probes are made: ./probes.ts.)
 * @throws SlipwayError SLW_RENDER_UNSUPPORTED listing every problem.
 */
export function assertExpressible(input: RenderInput): void {
  const problems = [
    ...serviceProblems(input),
    ...nameProblems(input),
    ...routeProblems(input),
    ...backupProblems(input),
  ];
  if (!problems.length) return;
  throw new SlipwayError(
    "SLW_RENDER_UNSUPPORTED",
    `Kubernetes cannot express ${problems.length === 1 ? "this field" : "these fields"} of ${input.stack} (${input.env}):\n${problems
      .map((p) => `  ${p.field}: ${p.message}`)
      .join("\n")}`,
    problems.map((p) => p.hint).join("; "),
    { target: "kubernetes", problems },
  );
}

function serviceProblems(input: RenderInput): Problem[] {
  const addons = addonsOf(input.release.config);
  return Object.entries(input.release.config.services).flatMap(([name, s]): Problem[] => {
    const at = `services.${name}`;
    const problems: Problem[] = [];
    // Releases recorded before add-ons were frozen with them do not say what their add-ons are.
    for (const addon of s.uses.filter((a) => !Object.hasOwn(addons, a)))
      problems.push({
        field: `${at}.uses`,
        message: `this release does not record the add-on "${addon}" (it predates add-ons frozen with releases)`,
        hint: "render a newer release, or the spec with --build",
      });
    if (s.volume && s.scale && s.scale.max > 1)
      problems.push({
        field: `${at}.volume`,
        message: `a volume shared by up to ${s.scale.max} instances needs ReadWriteMany storage, which most clusters lack; a ReadWriteOnce disk attaches to one node`,
        hint: `keep ${at}.scale.max at 1 for a service with a volume, or keep the data in an add-on (postgres, bucket)`,
      });
    if (s.schedule && s.schedule.trim().split(/\s+/).length === 6)
      problems.push({
        field: `${at}.schedule`,
        message: `a CronJob's schedule has 5 fields (minute precision); "${s.schedule}" has seconds`,
        hint: `write ${at}.schedule with 5 fields, e.g. "*/1 * * * *"`,
      });
    if (s.scale && s.scale.min === 0 && s.scale.max > 0 && scalingOf(input, s).kind === "cpu")
      problems.push({
        field: `${at}.scale.min`,
        message: "a HorizontalPodAutoscaler cannot scale to zero instances",
        hint:
          s.type === "worker"
            ? `set ${at}.scale.min to 1, or give the worker its BullMQ queue and a redis add-on so KEDA can scale it from zero`
            : `set ${at}.scale.min to 1`,
      });
    return problems;
  });
}

/** Object names must not collide: a redis add-on and a web service both become a Service. */
function nameProblems(input: RenderInput): Problem[] {
  const problems: Problem[] = [];
  const services = new Set(Object.keys(input.release.config.services));
  for (const addon of Object.keys(addonsOf(input.release.config)))
    if (services.has(addon))
      problems.push({
        field: `addons.${addon}`,
        message: `a service is also named "${addon}": their Services and NetworkPolicies would be one object`,
        hint: `rename the add-on or the service "${addon}"`,
      });
  if (namespaceOf(input).length > 63)
    problems.push({
      field: "name",
      message: `the namespace "${namespaceOf(input)}" (stack-environment) is longer than Kubernetes' 63 characters`,
      hint: "shorten the stack's name or the environment's",
    });
  return problems;
}

function routeProblems(input: RenderInput): Problem[] {
  return input.release.config.routes.flatMap((r, i): Problem[] =>
    r.host && !INGRESS_HOST.test(r.host.toLowerCase())
      ? [
          {
            field: `routes.${i}.host`,
            message: `an Ingress host is a DNS name (a leading "*." allowed, no port): "${r.host}"`,
            hint: `write routes.${i}.host as a name like "shop.example.com"`,
          },
        ]
      : [],
  );
}

/** Redis snapshots are the local driver's (redis-cli into the backup repository); nothing here takes them. */
function backupProblems(input: RenderInput): Problem[] {
  return Object.entries(addonsOf(input.release.config)).flatMap(([name, addon]): Problem[] =>
    addon.type === "redis" && addon.backup
      ? [
          {
            field: `addons.${name}.backup`,
            message:
              "RDB snapshots into the backup repository are taken by the local driver; the Kubernetes render has no job that takes them",
            hint: `remove addons.${name}.backup for Kubernetes, or set addons.${name}.persistence: true (an append-only file on a PersistentVolume)`,
          },
        ]
      : [],
  );
}
