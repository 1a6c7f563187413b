import { describe, expect, it } from "vitest";
import { type AutoDeployTarget, autoDeployChain } from "./chain";

const env = (name: string, over: Partial<AutoDeployTarget> = {}): AutoDeployTarget => ({
  name,
  requiresApproval: false,
  soakMinutes: 0,
  freeze: [],
  autoDeployBranch: "main",
  autoDeployEnabled: true,
  ...over,
});

describe("autoDeployChain", () => {
  it("deploys upstream first, whatever order the spec lists them in", () => {
    const chain = autoDeployChain(
      [env("staging", { promotesFrom: "dev" }), env("dev"), env("prod", { autoDeployBranch: undefined })],
      "main",
    );
    expect(chain).toEqual([
      { env: "dev", do: "deploy" },
      { env: "staging", do: "deploy" },
    ]);
  });

  it("skips, saying why, an environment held by hand or not enabled by an admin", () => {
    const chain = autoDeployChain(
      [
        env("dev", { autoDeployEnabled: false }),
        env("staging", { promotesFrom: "dev", hold: { by: "alice", reason: "promoted v7 by hand" } }),
      ],
      "main",
    );
    expect(chain).toEqual([
      { env: "dev", do: "skip", reason: "auto-deploy is not enabled for it (an admin enables it)" },
      { env: "staging", do: "skip", reason: "held by alice: promoted v7 by hand" },
    ]);
  });

  it("ignores other branches", () => {
    expect(autoDeployChain([env("dev")], "feature/x")).toEqual([]);
  });
});
