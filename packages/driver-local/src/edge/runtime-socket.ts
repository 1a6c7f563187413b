import { connect } from "node:net";
import { SlipwayError } from "@slipway/core";

// With this prefix HAProxy tags its messages "[err]: …", "[info]: …"; without it, a failed
// command and a successful one look alike (both are just text).
const SEVERITY = "set severity-output string; ";
const FAILURE = /^\[(?:err|crit|alert|emerg)\]: |^\[info\]: Unknown command/m;

/**
 * HAProxy's runtime API over its unix stats socket: one command per connection (HAProxy
 * answers and closes), so there is no session state to lose and no framing to parse.
 */
export class RuntimeSocket {
  constructor(
    readonly path: string,
    private readonly timeoutMs = 5000,
  ) {}

  /**
   * Sends one command and returns HAProxy's reply. A reply HAProxy marks as an error becomes
   * SLW_EDGE_FAILED with the command and the reply.
   */
  async send(command: string): Promise<string> {
    // Names are validated before they reach a command; this keeps a slip from becoming a
    // second command (`;`) or a second line.
    if (/[\n\r;]/.test(command)) throw this.failure(command, "a command must be one line without ';'");
    const raw = await this.exchange(`${SEVERITY}${command}\n`, command);
    // The first line is the (empty) answer to the severity command.
    const reply = raw.replace(/^\n/, "");
    if (FAILURE.test(reply)) throw this.failure(command, reply);
    return reply;
  }

  /** True when HAProxy answers on the socket at all. */
  async answers(): Promise<boolean> {
    try {
      await this.send("show info");
      return true;
    } catch {
      return false;
    }
  }

  private exchange(payload: string, command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.path);
      const chunks: Buffer[] = [];
      socket.setTimeout(this.timeoutMs, () => {
        socket.destroy();
        reject(this.failure(command, `no complete answer within ${this.timeoutMs} ms`));
      });
      // No half-close: HAProxy answers, then closes the connection itself.
      socket.once("connect", () => socket.write(payload));
      socket.on("data", (d: Buffer) => chunks.push(d));
      socket.once("error", (e) => reject(this.failure(command, e.message)));
      socket.once("end", () => {
        socket.destroy();
        resolve(Buffer.concat(chunks).toString("utf8"));
      });
    });
  }

  private failure(command: string, reply: string): SlipwayError {
    return new SlipwayError(
      "SLW_EDGE_FAILED",
      `HAProxy refused "${command}": ${reply.trim()}`,
      `check that the edge's HAProxy runs and answers on ${this.path}`,
      { command, reply },
    );
  }
}
