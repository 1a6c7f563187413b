/**
 * `show acl` (and `show map`) lists "<id> (<file>) pattern loaded from file …". Commands then name the list by
 * "#<id>": the file path may hold spaces, which the runtime API would split on.
 */
export function findAclId(listing: string, file: string): string | undefined {
  for (const line of listing.split("\n")) {
    const m = /^(\d+) \((.*?)\) /.exec(line);
    if (m && m[2] === file) return `#${m[1]}`;
  }
  return undefined;
}

/** `show acl #<id>` lists "<0xaddress> <pattern>" per entry. */
export function parseAclEntries(listing: string): string[] {
  const entries: string[] = [];
  for (const line of listing.split("\n")) {
    const m = /^0x[0-9a-f]+ (\S+)$/.exec(line.trim());
    if (m?.[1]) entries.push(m[1]);
  }
  return entries;
}

/** `show map #<id>` lists "<0xaddress> <key> <value>" per entry. */
export function parseMapEntries(listing: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of listing.split("\n")) {
    const m = /^0x[0-9a-f]+ (\S+) (\S+)$/.exec(line.trim());
    if (m?.[1] && m[2]) entries.set(m[1], m[2]);
  }
  return entries;
}
