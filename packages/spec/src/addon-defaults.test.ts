import { addonsOf } from "@slipway/core";
import { describe, expect, it } from "vitest";
import { addonSchema } from "./schema";

describe("core's add-on defaults for releases recorded before add-ons were frozen", () => {
  it("are the spec's own defaults", () => {
    for (const kind of ["postgres", "redis", "bucket"] as const)
      expect(addonsOf({ services: {}, routes: [] }, [{ name: "a", kind }]).a).toEqual(
        addonSchema.parse({ type: kind }),
      );
  });
});
