/**
 * Reads a `.env` file's assignments (`KEY=value`, `export KEY=value`, '…' literal, "…" with
 * \n escapes, # comments). A line that is none of these is an error naming its line number,
 * never its text (it may hold a value).
 */
export function parseDotenv(text: string, file: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new Error(`${file}:${i + 1} is not KEY=value`);
    out[m[1]!] = unquote(m[2]!);
  });
  return out;
}

function unquote(v: string): string {
  const q = v[0];
  if ((q === '"' || q === "'") && v.length >= 2 && v.endsWith(q)) {
    const body = v.slice(1, -1);
    return q === "'" ? body : body.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
  }
  // Unquoted: an inline comment starts at " #".
  return v.replace(/\s+#.*$/, "");
}
