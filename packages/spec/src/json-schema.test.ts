import { describe, expect, it } from "vitest";
import { STACK_SCHEMA_ID, stackJsonSchema } from "./json-schema";

describe("stackJsonSchema", () => {
  const schema = stackJsonSchema();

  it("is a draft 2020-12 schema with an id and a title", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.$id).toBe(STACK_SCHEMA_ID);
    expect(schema.title).toBe("Slipway stack");
    expect(schema.type).toBe("object");
  });

  it("describes what an author writes: defaulted fields are optional, unknown keys refused", () => {
    expect(schema.required).toEqual(["name", "services"]);
    expect(schema.additionalProperties).toBe(false);
  });

  it("carries the field descriptions and the name rule", () => {
    const text = JSON.stringify(schema);
    expect(text).toContain("argv of the process, run without a shell.");
    expect(text).toContain('"pattern":"^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$"');
  });

  it("documents health kinds, cron schedules, volumes and $(…) references", () => {
    const text = JSON.stringify(schema);
    expect(text).toContain('"enum":["http","tcp","process"]');
    expect(text).toContain("A persistent directory for this service");
    expect(text).toContain("Cron expression, for `cron` services, in UTC");
    expect(text).toContain("$(SLIPWAY_VOLUME)");
  });

  it("uses only standard formats, so strict validators accept it", () => {
    expect(JSON.stringify(schema)).not.toContain('"format":"starts_with"');
  });

  it("is plain JSON", () => {
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
});
