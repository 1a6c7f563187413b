/**
 * A seeded pseudo-random source and the few distributions the simulator draws from. Not for
 * anything secret: it only has to be fast, reproducible from a seed and well mixed.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  normal(): number;
  poisson(mean: number): number;
  binomial(n: number, p: number): number;
}

export function seededRandom(seed: number): Random {
  // A 32-bit counter stepped by a large odd constant (a Weyl sequence), each value then
  // scrambled by multiply–xorshift rounds, so nearby seeds give unrelated streams.
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    return (z >>> 0) / 4294967296;
  };
  const normal = () => {
    // Box–Muller; 1 - u keeps the logarithm finite.
    const u = 1 - next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  };
  const poisson = (mean: number): number => {
    if (mean <= 0) return 0;
    if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal()));
    // Count uniforms until their product falls below e^-mean.
    const limit = Math.exp(-mean);
    let k = 0;
    let product = next();
    while (product > limit) {
      k++;
      product *= next();
    }
    return k;
  };
  const binomial = (n: number, p: number): number => {
    if (n <= 0 || p <= 0) return 0;
    if (p >= 1) return n;
    if (n <= 60) {
      let k = 0;
      for (let i = 0; i < n; i++) if (next() < p) k++;
      return k;
    }
    if (p > 0.5) return n - binomial(n, 1 - p);
    const mean = n * p;
    // Rare events: Poisson is close; otherwise the normal approximation, both clamped to [0, n].
    if (mean < 25) return Math.min(n, poisson(mean));
    return Math.min(n, Math.max(0, Math.round(mean + Math.sqrt(mean * (1 - p)) * normal())));
  };
  return { next, normal, poisson, binomial };
}
