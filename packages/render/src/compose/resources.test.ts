import { describe, expect, it } from "vitest";
import { composeLimits } from "./resources";

describe("composeLimits", () => {
  it("turns Kubernetes quantities into Docker's", () => {
    expect(composeLimits({ cpu: "250m", memory: "256Mi" })).toEqual({ cpus: "0.25", memory: "256m" });
    expect(composeLimits({ cpu: "1.5", memory: "1Gi" })).toEqual({ cpus: "1.5", memory: "1g" });
    expect(composeLimits({ cpu: "2", memory: "512Ki" })).toEqual({ cpus: "2", memory: "512k" });
    // Docker's units are binary: a decimal quantity is written in bytes.
    expect(composeLimits({ cpu: "100m", memory: "500M" })).toEqual({ cpus: "0.1", memory: "500000000b" });
    expect(composeLimits({ cpu: "1", memory: "1048576" }).memory).toBe("1048576b");
  });

  it("defaults to what the Kubernetes render uses", () => {
    expect(composeLimits()).toEqual({ cpus: "0.25", memory: "256m" });
  });
});
