import { createHash } from "node:crypto";
import { type BuilderPort, SlipwayError } from "@slipway/core";
import type { FakeWorld } from "./world";

/** Builds whose id is the hash of the tree's content (`world.setTree`); fails while `world.failBuilds` says so. */
export function fakeBuilder(world: FakeWorld): BuilderPort {
  return {
    async build(req) {
      world.call(`build ${req.sourceDir}${req.ref ? `@${req.ref}` : ""}`);
      if (world.buildFailure !== undefined)
        throw new SlipwayError("SLW_BUILD_FAILED", "the build failed", undefined, {
          output: world.buildFailure,
        });
      const content = `${world.trees.get(req.sourceDir) ?? req.sourceDir}\0${req.ref ?? ""}`;
      const id = createHash("sha256").update(content).digest("hex");
      const cached = world.builds.has(id);
      world.builds.add(id);
      req.progress(cached ? "cached" : "built");
      return {
        id,
        location: `/fake/builds/${id}`,
        gitSha: null,
        source: req.ref ?? "working tree",
        cached,
        output: "",
      };
    },
  };
}
