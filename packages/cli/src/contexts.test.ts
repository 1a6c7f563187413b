import { describe, expect, it } from "vitest";
import { contextForEnvironment } from "./contexts";

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
