import { DEFAULT_RESOURCES, type ResourcesConfig } from "@slipway/core";

/**
 * The spec's resources (Kubernetes quantities, as the Kubernetes render uses them) as Compose
 * limits, which Docker enforces with cgroups: "250m" CPU is 0.25 of a core; Docker's memory
 * units k, m, g are binary (Ki, Mi, Gi), decimal ones are written in bytes.
 */
export function composeLimits(resources: ResourcesConfig = DEFAULT_RESOURCES): {
  cpus: string;
  memory: string;
} {
  return { cpus: cpus(resources.cpu), memory: memory(resources.memory) };
}

function cpus(cpu: string): string {
  return cpu.endsWith("m") ? String(Number.parseInt(cpu, 10) / 1000) : cpu;
}

const BINARY: Record<string, (n: number) => string> = {
  Ki: (n) => `${n}k`,
  Mi: (n) => `${n}m`,
  Gi: (n) => `${n}g`,
  Ti: (n) => `${n * 1024}g`,
};
const DECIMAL: Record<string, number> = { "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

function memory(quantity: string): string {
  const [, digits = "0", unit = ""] = /^(\d+)([A-Za-z]*)$/.exec(quantity) ?? [];
  const n = Number.parseInt(digits, 10);
  const binary = BINARY[unit];
  return binary ? binary(n) : `${n * (DECIMAL[unit] ?? 1)}b`;
}
