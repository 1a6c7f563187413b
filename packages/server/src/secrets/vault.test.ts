import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openStore, type Store } from "@slipway/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { masterKeyProvider } from "./master-key";
import { secretVault } from "./vault";

/**
 * The secret store on a real (embedded) Postgres: given a secret sealed under one master key,
 * when it is opened or changed with another key, or its stored bytes are altered, then the
 * answer is SLW_SECRET_UNREADABLE naming the fix, and nothing is decrypted or added.
 */
describe("secret vault", () => {
  let store: Store;
  let envId: string;
  let dir: string;
  const keyA = randomBytes(32).toString("base64");
  const keyB = randomBytes(32).toString("base64");

  beforeAll(async () => {
    dir = mkdtempSync("/tmp/slipway-vault-");
    store = await openStore({});
    envId = (await store.environments.ensure(await store.environments.upsertStack("shop", dir), "prod")).id;
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("opens what it sealed, from SLIPWAY_MASTER_KEY or the key file alike", async () => {
    const file = join(dir, "master.key");
    writeFileSync(file, keyA);
    const fromEnv = secretVault(store, masterKeyProvider(file, keyA));
    const fromFile = secretVault(store, masterKeyProvider(file, undefined));
    expect(await fromEnv.add(envId, "JWT_SECRET", "first-value", "alice")).toBe(1);
    expect(await fromFile.open(envId, "JWT_SECRET", 1)).toBe("first-value");
    const [row] = await store.secrets.versions(envId, "JWT_SECRET");
    expect(JSON.stringify(row)).not.toContain("first-value");
  });

  it("with the wrong master key: a clear error, nothing decrypted, nothing added", async () => {
    const wrong = secretVault(store, masterKeyProvider(join(dir, "none"), keyB));
    await expect(wrong.open(envId, "JWT_SECRET", 1)).rejects.toMatchObject({
      code: "SLW_SECRET_UNREADABLE",
      message: expect.stringMatching(/sealed under master key sha256:\w+; this control plane has sha256:\w+/),
    });
    await expect(wrong.add(envId, "JWT_SECRET", "second-value", "mallory")).rejects.toMatchObject({
      code: "SLW_SECRET_UNREADABLE",
      hint: expect.stringContaining("SLIPWAY_MASTER_KEY"),
    });
    expect((await store.secrets.versions(envId, "JWT_SECRET")).map((v) => v.version)).toEqual([1]);
  });

  it("refuses a master key that is not 32 bytes, naming where it came from", () => {
    expect(() => masterKeyProvider(join(dir, "none"), "c2hvcnQ=")).toThrow(
      /SLIPWAY_MASTER_KEY does not hold a 32-byte key/,
    );
  });

  it("detects tampered ciphertext and a sealed value moved onto another version", async () => {
    const vault = secretVault(store, masterKeyProvider(join(dir, "none"), keyA));
    await vault.add(envId, "API_KEY", "vendor-value", "alice");
    const [v1] = await store.secrets.versions(envId, "API_KEY");
    // v2 is v1's sealed bytes, unchanged: bound to v1, it must not open as v2.
    await store.secrets.add({ ...v1!, createdBy: "mallory" }, 1);
    await expect(vault.open(envId, "API_KEY", 2)).rejects.toMatchObject({ code: "SLW_SECRET_UNREADABLE" });
    // Versions are immutable to the application; an attacker with the database flips a byte.
    await store.sql.query("alter table secret_versions disable trigger secret_versions_immutable");
    const flipped = `${v1!.ciphertext.slice(0, -2)}${v1!.ciphertext.endsWith("A") ? "B" : "A"}${v1!.ciphertext.slice(-1)}`;
    await store.sql.query(
      "update secret_versions set ciphertext = $1 where environment_id = $2 and name = 'API_KEY' and version = 1",
      [flipped, envId],
    );
    await expect(vault.open(envId, "API_KEY", 1)).rejects.toMatchObject({
      code: "SLW_SECRET_UNREADABLE",
      message: expect.stringContaining("stored bytes were changed"),
    });
  });

  it("an unknown version is a clear not-found", async () => {
    const vault = secretVault(store, masterKeyProvider(join(dir, "none"), keyA));
    await expect(vault.open(envId, "JWT_SECRET", 9)).rejects.toMatchObject({
      code: "SLW_NOT_FOUND",
      message: "JWT_SECRET has no version v9",
    });
  });
});
