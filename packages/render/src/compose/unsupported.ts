import { addonsOf, DNS_HOST, HEALTH_PATH, type ReleaseConfig, ROUTE_PATH, SlipwayError } from "@slipway/core";
import { crontabProblem } from "./cron";

/**
 * What the spec says that the Compose render cannot express. Refused with the field and the
 * reason, never dropped: a file that silently behaves differently would be worse than none.
 * The characters allowed in paths and hosts are those the local edge accepts in HAProxy's config.
 */

export function assertComposeCanExpress(config: ReleaseConfig, env: string): void {
  const refuse = (field: string, why: string, hint: string): never => {
    throw new SlipwayError(
      "SLW_RENDER_UNSUPPORTED",
      `${field}: ${why}, so Docker Compose cannot run it (environment ${env})`,
      hint,
      { field, target: "compose" },
    );
  };
  const addons = addonsOf(config);
  for (const [name, service] of Object.entries(config.services)) {
    if (Object.hasOwn(addons, name))
      refuse(
        `services.${name}`,
        `"${name}" is also an add-on's name, and Compose has one namespace for both`,
        `rename the service or the add-on`,
      );
    // Releases recorded before add-ons were frozen with them do not say what their add-ons are.
    for (const addon of service.uses.filter((a) => !Object.hasOwn(addons, a)))
      refuse(
        `services.${name}.uses`,
        `this release does not record the add-on "${addon}" (it predates add-ons frozen with releases)`,
        "render a newer release, or the spec with --build",
      );
    if (service.type === "cron" && service.schedule) {
      const problem = crontabProblem(service.schedule);
      if (problem)
        refuse(
          `services.${name}.schedule`,
          `${JSON.stringify(service.schedule)}: ${problem}, and Compose runs cron services from the VM's crontab`,
          "use a 5-field schedule (minute hour day month weekday) with *, lists, ranges and steps",
        );
    }
    const path = service.health?.path;
    if (path !== undefined && !HEALTH_PATH.test(path))
      refuse(
        `services.${name}.health.path`,
        `${JSON.stringify(path)} has a character HAProxy's config cannot carry`,
        "use a plain URL path such as /healthz",
      );
  }
  config.routes.forEach((route, i) => {
    if (!ROUTE_PATH.test(route.path))
      refuse(
        `routes[${i}].path`,
        `${JSON.stringify(route.path)} has a character HAProxy's config cannot carry`,
        "use a plain URL path prefix such as /api",
      );
    if (route.host !== undefined && !DNS_HOST.test(route.host))
      refuse(
        `routes[${i}].host`,
        `${JSON.stringify(route.host)} is not a host name`,
        "use a name like shop.example.com",
      );
  });
}
