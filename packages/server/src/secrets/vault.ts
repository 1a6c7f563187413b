import { type KeyProvider, openSecret, SlipwayError, sealSecret } from "@slipway/core";
import type { Store } from "@slipway/store";

/** What a version is bound to: a sealed value copied onto another secret or version does not open. */
const contextOf = (environmentId: string, name: string, version: number) =>
  `${environmentId}/${name}@v${version}`;

/** Seals values into the store and opens them again; the only code that sees both. */
export function secretVault(store: Pick<Store, "secrets">, keys: KeyProvider) {
  return {
    /**
     * Adds the next version of a secret. Refused when its current version is sealed under
     * another master key: a wrong key must not leave a history half under each.
     */
    async add(environmentId: string, name: string, value: string, actor: string): Promise<number> {
      const [current] = await store.secrets.versions(environmentId, name);
      if (current && current.keyId !== keys.keyId)
        throw new SlipwayError(
          "SLW_SECRET_UNREADABLE",
          `${name} v${current.version} is sealed under master key ${current.keyId}; this control plane has ${keys.keyId}`,
          "start the control plane with the master key it was sealed with (SLIPWAY_MASTER_KEY or .slipway/master.key)",
        );
      const version = (current?.version ?? 0) + 1;
      const sealed = await sealSecret(value, contextOf(environmentId, name, version), keys);
      const added = await store.secrets.add(
        { environmentId, name, ...sealed, createdBy: actor },
        version - 1,
      );
      if (added === undefined)
        throw new SlipwayError("SLW_CONFLICT", `${name} changed while it was being set`, "try again");
      return added;
    },

    /** @throws SLW_NOT_FOUND for a version that does not exist, SLW_SECRET_UNREADABLE when it does not open. */
    async open(environmentId: string, name: string, version: number): Promise<string> {
      const row = (await store.secrets.versions(environmentId, name)).find((v) => v.version === version);
      if (!row) throw new SlipwayError("SLW_NOT_FOUND", `${name} has no version v${version}`);
      return openSecret(row, contextOf(environmentId, name, version), keys);
    },
  };
}

export type SecretVault = ReturnType<typeof secretVault>;
