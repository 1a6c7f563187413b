import { describe, expect, it } from "vitest";
import { seededRandom } from "./random";
import { sequentialTest } from "./sequential";

describe("sequentialTest", () => {
  it("with no data has no evidence either way", () => {
    const r = sequentialTest(0, 0, 0.01, "greater", 0.001);
    expect(r).toMatchObject({ logLR: 0, rejected: false, pValue: 1 });
  });

  it("rejects 'rate ≤ 1.44%' after 10 errors in 100 requests, not after 2 in 100", () => {
    expect(sequentialTest(10, 100, 0.0144, "greater", 0.001).rejected).toBe(true);
    expect(sequentialTest(2, 100, 0.0144, "greater", 0.001).rejected).toBe(false);
  });

  it("shows 'rate < 1%' from 0 errors in 2,000 requests, not from 0 in 100", () => {
    expect(sequentialTest(0, 2000, 0.01, "less", 0.001).rejected).toBe(true);
    expect(sequentialTest(0, 100, 0.01, "less", 0.001).rejected).toBe(false);
  });

  it("gives an always-valid p-value that falls as evidence grows", () => {
    const p = [20, 40, 80].map((n) => sequentialTest(n / 10, n, 0.02, "greater", 0.01).pValue);
    expect(p[0]).toBeGreaterThan(p[1]!);
    expect(p[1]).toBeGreaterThan(p[2]!);
  });

  it("stays under α when it looks after every single request (optional stopping)", () => {
    // 1,000 streams exactly at the null rate, each tested after every one of 3,000 outcomes:
    // Ville's inequality bounds the share that ever crosses 1/α by α.
    const alpha = 0.05;
    const p0 = 0.02;
    const random = seededRandom(7);
    let crossed = 0;
    for (let stream = 0; stream < 1000; stream++) {
      let successes = 0;
      for (let n = 1; n <= 3000; n++) {
        if (random.next() < p0) successes++;
        if (sequentialTest(successes, n, p0, "greater", alpha).rejected) {
          crossed++;
          break;
        }
      }
    }
    expect(crossed / 1000).toBeLessThanOrEqual(alpha);
  });
});
