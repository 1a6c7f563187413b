import { describe, expect, it } from "vitest";
import { findAclId, parseAclEntries } from "./show-acl";
import { adminState, parseServerRows } from "./show-stat";

// Trimmed from a real HAProxy 2.6.12 `show stat`: the parser goes by header names, so the
// column order and any columns it does not read do not matter.
const csv = [
  "# pxname,svname,qcur,scur,status,weight,uweight,type,cookie,addr,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,",
  "_public,FRONTEND,,0,OPEN,,,0,,,0,10,0,3,0,0,",
  "web,v1,0,2,UP,100,100,2,a819a2126ec7c7e0,127.0.0.1:19001,0,7,0,0,1,0,",
  "web,v2,0,0,DRAIN,0,50,2,2a590d4bebaa056a,127.0.0.1:19002,0,0,0,0,0,0,",
  "web,v3,0,0,MAINT (via web/v1),0,1,2,,127.0.0.1:19003,0,0,0,0,0,0,",
  "web,BACKEND,0,2,UP,100,150,1,SLW-web,,0,7,0,0,1,0,",
  "",
].join("\n");

describe("parseServerRows", () => {
  it("returns servers only, with the weight we set and in-flight sessions", () => {
    const rows = parseServerRows(csv);
    expect(rows.map((r) => r.server)).toEqual(["v1", "v2", "v3"]);
    expect(rows[0]).toEqual({
      backend: "web",
      server: "v1",
      status: "UP",
      state: "ready",
      weight: 100,
      sessions: 2,
      cookie: "a819a2126ec7c7e0",
      port: 19001,
      responses: { "1xx": 0, "2xx": 7, "3xx": 0, "4xx": 0, "5xx": 1, other: 0 },
    });
    expect(rows[1]).toMatchObject({ state: "drain", weight: 50 });
    expect(rows[2]).toMatchObject({ state: "maint", cookie: "" });
  });

  it("returns nothing for a reply that is not CSV", () => {
    expect(parseServerRows("[err]: Can't find backend.\n")).toEqual([]);
  });
});

describe("adminState", () => {
  it.each([
    ["UP", "ready"],
    ["UP 1/2", "ready"],
    ["DOWN", "ready"],
    ["no check", "ready"],
    ["DRAIN", "drain"],
    ["DRAIN (agent)", "drain"],
    ["MAINT", "maint"],
    ["MAINT (resolution)", "maint"],
  ])("%s → %s", (status, state) => {
    expect(adminState(status)).toBe(state);
  });
});

describe("show acl", () => {
  const listing = [
    "# id (file) description",
    "0 (/srv/My Edge/drain-web.acl) pattern loaded from file '/srv/My Edge/drain-web.acl' used by acl at file '/srv/My Edge/haproxy.cfg' line 24. curr_ver=0 next_ver=0 entry_cnt=1",
    "1 () acl 'req.cook' file '/srv/My Edge/haproxy.cfg' line 24. curr_ver=0 next_ver=0 entry_cnt=0",
    "",
  ].join("\n");

  it("finds a list by its file, even with spaces in the path", () => {
    expect(findAclId(listing, "/srv/My Edge/drain-web.acl")).toBe("#0");
    expect(findAclId(listing, "/srv/other.acl")).toBeUndefined();
  });

  it("reads the entries of a list", () => {
    expect(parseAclEntries("0x55d1c0a0 2a590d4bebaa056a\n0x55d1c0b0 a819a2126ec7c7e0\n\n")).toEqual([
      "2a590d4bebaa056a",
      "a819a2126ec7c7e0",
    ]);
  });
});
