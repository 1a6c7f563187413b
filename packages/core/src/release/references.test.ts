import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expandTemplates, parseTemplate, referencedNames } from "./references";

const vars = { PORT: "4000", DATABASE_URL: "postgres://u:p@127.0.0.1:5432/app" };

describe("parseTemplate and expandTemplates", () => {
  it("replaces $(NAME), keeps $$( as a literal $( and any other $ as is", () => {
    const r = expandTemplates(
      [
        { where: "a", value: "--port=$(PORT)" },
        { where: "b", value: "$$(PORT) $PORT a$b $$ $" },
        { where: "c", value: "$(DATABASE_URL)?sslmode=disable" },
      ],
      vars,
    );
    expect(r).toEqual({
      ok: true,
      values: ["--port=4000", "$(PORT) $PORT a$b $$ $", "postgres://u:p@127.0.0.1:5432/app?sslmode=disable"],
    });
  });

  it("fails the whole set on one unknown or malformed reference: never half expanded", () => {
    const r = expandTemplates(
      [
        { where: "command[2]", value: "$(PORT)" },
        { where: "env.X", value: "$(PROT)" },
        { where: "env.Y", value: "$(PORT" },
      ],
      vars,
    );
    expect(r).toEqual({
      ok: false,
      problems: [
        { where: "env.X", message: "$(PROT) is not a variable Slipway injects here" },
        { where: "env.Y", message: '"$(PORT" is not a reference like $(PORT); write $$( for a literal "$("' },
      ],
    });
  });

  it("does not treat inherited object keys as variables", () => {
    expect(expandTemplates([{ where: "x", value: "$(constructor)" }], vars).ok).toBe(false);
  });

  it("lists the names a string refers to", () => {
    expect(referencedNames("$(A)-$(B_2)$$(C)")).toEqual(["A", "B_2"]);
  });
});

describe("references under fuzzing", () => {
  const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);

  it("never throws, and a string without '$(' comes back unchanged", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const parsed = parseTemplate(s);
        if (!s.includes("$("))
          expect(expandTemplates([{ where: "x", value: s }], {})).toEqual({ ok: true, values: [s] });
        if (parsed.ok)
          expect(parsed.parts.every((p) => ("text" in p ? p.text.length > 0 : p.ref.length > 0))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it("escaping every '$(' as '$$(' gives back the literal text, whatever it holds", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        // '$' before an escape would merge with it ("$$$(" reads as "$" + "$$("), so only
        // strings whose '$(' are not preceded by another '$' round-trip this simply.
        fc.pre(!s.includes("$$"));
        const escaped = s.replaceAll("$(", () => "$$(");
        expect(expandTemplates([{ where: "x", value: escaped }], {})).toEqual({ ok: true, values: [s] });
      }),
      { numRuns: 1000 },
    );
  });

  it("expands text around known references exactly", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.string().filter((t) => !t.includes("$")),
            name,
          ),
        ),
        (pieces) => {
          const values = Object.fromEntries(pieces.map(([, n]) => [n, `<${n}>`]));
          const template = pieces.map(([t, n]) => `${t}$(${n})`).join("");
          const expected = pieces.map(([t, n]) => `${t}<${n}>`).join("");
          expect(expandTemplates([{ where: "x", value: template }], values)).toEqual({
            ok: true,
            values: [expected],
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});
