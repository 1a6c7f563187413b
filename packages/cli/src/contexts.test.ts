import { describe, expect, it } from "vitest";
import { chooseTarget, contextForEnvironment } from "./contexts";

const file = {
  contexts: {
    eu: { url: "https://eu.example.com:7443", token: "a", environments: ["prod"] },
    lab: { url: "https://lab.example.com:7443", token: "b", environments: ["staging", "dev"] },
    spare: { url: "https://spare.example.com:7443", token: "c" },
  },
};

describe("two servers, one CLI: the context that runs an environment", () => {
  it("is the one that names it", () => {
    expect(contextForEnvironment("prod", file)).toBe("eu");
    expect(contextForEnvironment("dev", file)).toBe("lab");
    expect(contextForEnvironment("local", file)).toBeUndefined();
  });

  it("is a conflict, naming both, when two claim it", () => {
    const both = {
      contexts: { ...file.contexts, us: { url: "https://us", token: "d", environments: ["prod"] } },
    };
    expect(() => contextForEnvironment("prod", both)).toThrow(/eu and us/);
  });
});

describe("which control plane a command talks to", () => {
  const withCurrent = { ...file, current: "spare" };
  const spec = { env: "prod", specServer: "lab" };

  it("takes --context (or SLIPWAY_CONTEXT) over everything", () => {
    expect(
      chooseTarget({ context: "eu", url: "https://ci.example.com", ...spec, contexts: withCurrent }),
    ).toEqual({
      kind: "context",
      name: "eu",
    });
  });

  it("takes SLIPWAY_URL over the spec, the contexts' env lists and the current context", () => {
    expect(chooseTarget({ url: "https://ci.example.com", ...spec, contexts: withCurrent })).toEqual({
      kind: "url",
      url: "https://ci.example.com",
    });
  });

  it("takes the spec's server for --env over a context's env list and the current context", () => {
    // eu's env list claims prod; the spec says prod runs on lab: the spec wins.
    expect(chooseTarget({ ...spec, contexts: withCurrent })).toEqual({ kind: "context", name: "lab" });
  });

  it("falls back to the context whose env list names --env, then the current one, then local", () => {
    expect(chooseTarget({ env: "prod", contexts: withCurrent })).toEqual({ kind: "context", name: "eu" });
    expect(chooseTarget({ env: "qa", contexts: withCurrent })).toEqual({ kind: "context", name: "spare" });
    expect(chooseTarget({ env: "qa", contexts: file })).toEqual({ kind: "local" });
    expect(chooseTarget({ contexts: { contexts: {} } })).toEqual({ kind: "local" });
  });

  it("refuses a spec server this CLI has no context for, naming the field: never the current context instead", () => {
    expect(() => chooseTarget({ env: "prod", specServer: "moon", contexts: withCurrent })).toThrow(
      /environments\.prod\.server: .*"moon".*no context/,
    );
    try {
      chooseTarget({ env: "prod", specServer: "moon", contexts: withCurrent });
    } catch (e) {
      expect(e).toMatchObject({
        code: "SLW_NOT_FOUND",
        hint: expect.stringContaining("slipway context add moon"),
      });
    }
  });
});
