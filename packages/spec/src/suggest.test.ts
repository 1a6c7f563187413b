import { describe, expect, it } from "vitest";
import { NAME_PATTERN } from "./schema";
import { closestMatch, editDistance, suggestName } from "./suggest";

describe("editDistance", () => {
  it("counts insertions, deletions and substitutions", () => {
    expect(editDistance("helth", "health")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("same", "same")).toBe(0);
    expect(editDistance("wbe", "web")).toBe(1);
    expect(editDistance("wbe", "web")).toBe(1);
  });
});

describe("closestMatch", () => {
  const keys = ["type", "command", "port", "health", "env", "scale"];

  it("finds a near miss, ignoring case", () => {
    expect(closestMatch("helth", keys)).toBe("health");
    expect(closestMatch("Comand", keys)).toBe("command");
  });

  it("suggests nothing for a word that is not close", () => {
    expect(closestMatch("x", keys)).toBeUndefined();
    expect(closestMatch("replicas", keys)).toBeUndefined();
  });
});

describe("suggestName", () => {
  it("turns a rejected name into a valid one", () => {
    expect(suggestName("My API", NAME_PATTERN)).toBe("my-api");
    expect(suggestName("x\ny", NAME_PATTERN)).toBe("x-y");
    expect(suggestName("$(rm -rf /)", NAME_PATTERN)).toBe("rm-rf");
    expect(suggestName("9lives", NAME_PATTERN)).toBe("lives");
  });

  it("gives up when nothing usable is left", () => {
    expect(suggestName("$$$", NAME_PATTERN)).toBeUndefined();
    expect(suggestName("123", NAME_PATTERN)).toBeUndefined();
  });
});
