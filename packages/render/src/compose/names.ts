import { envName } from "@slipway/core";

/**
 * Names of what the Compose render adds beside the spec's services and add-ons. Spec names are
 * `[a-z0-9-]`, so anything with an underscore can never collide with one of them.
 */
export const EDGE_SERVICE = "slipway_edge";
/** The network of the edge and every service that is not private. */
export const PUBLIC_NETWORK = "slipway_public";
/** The Compose profile of cron services, so `docker compose up` does not start them. */
export const CRON_PROFILE = "cron";
/** The host port the edge publishes, a variable of `.env` (default 80). */
export const EDGE_PORT_VARIABLE = "SLIPWAY_EDGE_PORT";
/** Where the edge listens inside its container: the HAProxy image runs unprivileged. */
export const EDGE_CONTAINER_PORT = 8080;

/** A private service's network, shared with its callers only. */
export const privateNetwork = (service: string) => `private_${service}`;
/** A private service's own way out (it shares it with nobody). */
export const egressNetwork = (service: string) => `egress_${service}`;
/** An add-on's network, shared with the services that use it. */
export const addonNetwork = (addon: string) => `addon_${addon}`;
/** The named volume of an add-on's data or of a service's `volume: true`. */
export const dataVolume = (name: string) => `${name}_data`;
/** The one-shot service that creates a bucket. */
export const bucketInitService = (addon: string) => `${addon}_init`;
/** A secret of an add-on, as a variable of `.env`: "db" + "PASSWORD" → DB_PASSWORD. */
export const secretVariable = (addon: string, what: string) => `${envName(addon)}_${what}`;
