/** WAL positions and segment file names (`TTTTTTTTLLLLLLLLSSSSSSSS`, all hex). */
export const SEGMENT = /^[0-9A-F]{24}$/;

export function parseLsn(lsn: string): bigint {
  const [hi, lo] = lsn.split("/");
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

/** The segment holding `lsn` on timeline `tli`. */
export function segmentOf(lsn: string, tli: number, segmentSize: number): string {
  const segno = parseLsn(lsn) / BigInt(segmentSize);
  const perId = 0x1_0000_0000n / BigInt(segmentSize);
  const hex = (n: bigint | number) => n.toString(16).toUpperCase().padStart(8, "0");
  return `${hex(tli)}${hex(segno / perId)}${hex(segno % perId)}`;
}

/** Position order of two segment names, ignoring the timeline (Slipway archives one). */
export const segmentOrder = (a: string, b: string) => a.slice(8).localeCompare(b.slice(8));
