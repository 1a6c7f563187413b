import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RuntimeSocket } from "./runtime-socket";

// A stand-in that answers like HAProxy 2.6 does with `set severity-output string` (replies
// copied from a real 2.6.12), then closes the connection.
const replies: Record<string, string> = {
  "show info": "\nName: HAProxy\nPid: 42\n\n",
  "set server web/v1 weight 5": "\n\n",
  "del server web/v1": "\n[err]: Only servers in maintenance mode can be deleted.\n",
  "add server web/v2 127.0.0.1:1": "\n[info]: New server registered.\n\n",
  bogus: "\n[info]: Unknown command, but maybe one of the following ones is a better match:\n  help\n\n",
};

describe("RuntimeSocket", () => {
  let dir: string;
  let server: Server;
  const received: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "slw-sock-"));
    server = createServer((conn) => {
      conn.on("data", (d: Buffer) => {
        const line = d.toString("utf8");
        received.push(line);
        const command = line.replace(/^set severity-output string; /, "").trim();
        conn.end(replies[command] ?? "\n");
      });
    });
    await new Promise<void>((resolve) => server.listen(join(dir, "admin.sock"), resolve));
  });

  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends one command per connection, with severity tags on", async () => {
    const socket = new RuntimeSocket(join(dir, "admin.sock"));
    expect(await socket.send("show info")).toContain("Pid: 42");
    expect(received.at(-1)).toBe("set severity-output string; show info\n");
    expect(await socket.send("add server web/v2 127.0.0.1:1")).toContain("New server registered");
    expect(await socket.answers()).toBe(true);
  });

  it("turns HAProxy's errors into SLW_EDGE_FAILED with command and reply", async () => {
    const socket = new RuntimeSocket(join(dir, "admin.sock"));
    await expect(socket.send("del server web/v1")).rejects.toMatchObject({
      code: "SLW_EDGE_FAILED",
      detail: { command: "del server web/v1", reply: expect.stringContaining("Only servers in maintenance") },
    });
    await expect(socket.send("bogus")).rejects.toMatchObject({ code: "SLW_EDGE_FAILED" });
  });

  it("refuses a command that would smuggle a second one", async () => {
    const socket = new RuntimeSocket(join(dir, "admin.sock"));
    const before = received.length;
    await expect(
      socket.send("set server web/v1 weight 5; shutdown sessions server web/v1"),
    ).rejects.toMatchObject({
      code: "SLW_EDGE_FAILED",
    });
    await expect(socket.send("show info\nshutdown frontend _public")).rejects.toMatchObject({
      code: "SLW_EDGE_FAILED",
    });
    expect(received.length).toBe(before);
  });

  it("reports a socket nobody listens on", async () => {
    const socket = new RuntimeSocket(join(dir, "missing.sock"));
    await expect(socket.send("show info")).rejects.toMatchObject({ code: "SLW_EDGE_FAILED" });
    expect(await socket.answers()).toBe(false);
  });
});
