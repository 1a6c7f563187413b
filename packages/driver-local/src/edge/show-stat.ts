import type { EdgeServerState, StatusCounts } from "./types";

/** One server as `show stat` reports it. */
export interface ServerRow {
  backend: string;
  server: string;
  /** HAProxy's status column: UP, DOWN, DRAIN, MAINT, "UP 1/2", "no check"… */
  status: string;
  state: EdgeServerState;
  /** uweight: the weight we set, not the effective one (which drain and slowstart lower). */
  weight: number;
  sessions: number;
  /** Dynamic cookie value ("" until HAProxy computed one). */
  cookie: string;
  port: number;
  responses: StatusCounts;
}

const SERVER_TYPE = "2";

/** Parses `show stat` CSV (header line "# pxname,svname,…") into its server rows. */
export function parseServerRows(csv: string): ServerRow[] {
  const [header, ...lines] = csv.split("\n");
  if (!header?.startsWith("# ")) return [];
  const columns = header.slice(2).split(",");
  const rows: ServerRow[] = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    const values = line.split(",");
    const get = (name: string) => values[columns.indexOf(name)] ?? "";
    if (get("type") !== SERVER_TYPE) continue;
    const num = (name: string) => Number(get(name)) || 0;
    rows.push({
      backend: get("pxname"),
      server: get("svname"),
      status: get("status"),
      state: adminState(get("status")),
      weight: num("uweight"),
      sessions: num("scur"),
      cookie: get("cookie"),
      port: Number(get("addr").split(":").pop()) || 0,
      responses: {
        "1xx": num("hrsp_1xx"),
        "2xx": num("hrsp_2xx"),
        "3xx": num("hrsp_3xx"),
        "4xx": num("hrsp_4xx"),
        "5xx": num("hrsp_5xx"),
        other: num("hrsp_other"),
      },
    });
  }
  return rows;
}

/** The administrative state behind a status column: MAINT and DRAIN win over UP/DOWN. */
export function adminState(status: string): EdgeServerState {
  if (status.startsWith("MAINT")) return "maint";
  if (status.startsWith("DRAIN")) return "drain";
  return "ready";
}

export function totalResponses(c: StatusCounts): number {
  return c["1xx"] + c["2xx"] + c["3xx"] + c["4xx"] + c["5xx"] + c.other;
}
