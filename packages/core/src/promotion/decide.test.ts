import { describe, expect, it } from "vitest";
import { decidePromotion, type PromotionRequest } from "./decide";

const HOUR = 3_600_000;
const now = Date.parse("2026-11-30T12:00:00Z");
const prod = { name: "prod", promotesFrom: "staging", requiresApproval: true, soakMinutes: 30, freeze: [] };
const request = (over: Partial<PromotionRequest> = {}): PromotionRequest => ({
  target: prod,
  from: "staging",
  build: { id: "3f2a9c1e0b7d44aa" },
  upstream: { succeededAt: now - HOUR, replacedAt: null },
  approval: null,
  now,
  ...over,
});

describe("decidePromotion", () => {
  it("waits for approval when everything else allows it, and releases once approved", () => {
    expect(decidePromotion(request())).toEqual({ do: "await-approval" });
    expect(decidePromotion(request({ approval: { by: "alice", at: now } }))).toEqual({ do: "release" });
  });

  it("refuses a build that never succeeded upstream, before anyone is asked to approve it", () => {
    const d = decidePromotion(request({ upstream: { succeededAt: null, replacedAt: null } }));
    expect(d).toMatchObject({ do: "refuse", refusals: [{ rule: "upstream" }] });
    if (d.do === "refuse") expect(d.refusals[0]!.reason).toContain("no successful release in staging");
  });

  it("counts soak time while the build is live upstream, and says how long is left", () => {
    const d = decidePromotion(request({ upstream: { succeededAt: now - 10 * 60_000, replacedAt: null } }));
    expect(d).toMatchObject({ do: "refuse", refusals: [{ rule: "soakMinutes" }] });
    if (d.do === "refuse") {
      expect(d.refusals[0]!.reason).toBe("build 3f2a9c1e0b7d ran 10 min in staging; prod needs 30 min");
      expect(d.refusals[0]!.hint).toBe("try again in 20 min");
    }
  });

  it("stops counting soak time when the build was replaced upstream", () => {
    const d = decidePromotion(
      request({ upstream: { succeededAt: now - 5 * HOUR, replacedAt: now - 5 * HOUR + 5 * 60_000 } }),
    );
    expect(d).toMatchObject({ do: "refuse", refusals: [{ rule: "soakMinutes" }] });
  });

  it("refuses during a freeze window, naming it", () => {
    const target = {
      ...prod,
      freeze: [{ from: "2026-11-30T00:00:00Z", until: "2026-12-01T00:00:00Z", reason: "release party" }],
    };
    const d = decidePromotion(request({ target, approval: { by: "alice", at: now } }));
    expect(d).toMatchObject({ do: "refuse", refusals: [{ rule: "freeze" }] });
    if (d.do === "refuse") expect(d.refusals[0]!.reason).toContain("(release party)");
  });

  it("reports every rule that refuses, not just the first", () => {
    const d = decidePromotion(
      request({
        from: "dev",
        build: { id: "b", rejected: { by: "bob", reason: "leaks memory" } },
        upstream: { succeededAt: null, replacedAt: null },
      }),
    );
    expect(d.do === "refuse" && d.refusals.map((r) => r.rule)).toEqual([
      "rejected",
      "promotesFrom",
      "upstream",
    ]);
  });

  it("releases without approval where none is required", () => {
    const staging = {
      name: "staging",
      promotesFrom: "dev",
      requiresApproval: false,
      soakMinutes: 0,
      freeze: [],
    };
    expect(decidePromotion(request({ target: staging, from: "dev" }))).toEqual({ do: "release" });
  });
});
