import { connect } from "node:net";

/** A reply as RESP2 gives it; error replies become Error values instead of throwing. */
export type Reply = string | number | null | Error | Reply[];

/**
 * Sends `commands` on one connection to 127.0.0.1:port and returns their replies in order.
 * Fewer replies than commands means the server closed the connection (as SHUTDOWN does).
 * Enough RESP for AUTH/PING/INFO/SHUTDOWN — the control plane has no other use for a client.
 */
export function redisCommands(port: number, commands: string[][], timeoutMs = 2_000): Promise<Reply[]> {
  return new Promise((resolve, reject) => {
    const replies: Reply[] = [];
    let buffer = Buffer.alloc(0);
    const socket = connect({ host: "127.0.0.1", port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`redis on port ${port} did not answer`)));
    // A reset after some replies is how SHUTDOWN ends the conversation.
    socket.once("error", (e) => (replies.length > 0 ? resolve(replies) : reject(e)));
    socket.once("close", () => resolve(replies));
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (let parsed = parseReply(buffer, 0); parsed; parsed = parseReply(buffer, 0)) {
        replies.push(parsed.value);
        buffer = buffer.subarray(parsed.end);
      }
      if (replies.length >= commands.length) socket.end();
    });
    socket.write(Buffer.concat(commands.map(encode)));
  });
}

function encode(args: string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const a of args) parts.push(`$${Buffer.byteLength(a)}\r\n${a}\r\n`);
  return Buffer.from(parts.join(""));
}

/** One reply starting at `at`, or undefined while it is incomplete. */
function parseReply(buf: Buffer, at: number): { value: Reply; end: number } | undefined {
  const eol = buf.indexOf("\r\n", at);
  if (eol < 0) return undefined;
  const line = buf.toString("utf8", at + 1, eol);
  switch (String.fromCharCode(buf[at] ?? 0)) {
    case "+":
      return { value: line, end: eol + 2 };
    case "-":
      return { value: new Error(line), end: eol + 2 };
    case ":":
      return { value: Number(line), end: eol + 2 };
    case "$": {
      const len = Number(line);
      if (len < 0) return { value: null, end: eol + 2 };
      if (buf.length < eol + 2 + len + 2) return undefined;
      return { value: buf.toString("utf8", eol + 2, eol + 2 + len), end: eol + 2 + len + 2 };
    }
    case "*": {
      const items: Reply[] = [];
      let end = eol + 2;
      for (let i = 0; i < Number(line); i++) {
        const item = parseReply(buf, end);
        if (!item) return undefined;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default:
      return { value: new Error(`unexpected reply: ${line}`), end: eol + 2 };
  }
}
