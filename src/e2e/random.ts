// Seeded randomness for tests that pick kill points, victims or delays at random: the seed is printed with the test's
// result (a TAP diagnostic, shown beside a failure), and setting the environment variable replays that run.
import type { TestContext } from "node:test";

/** mulberry32: a small, fast PRNG whose whole state is one 32-bit seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random number generator in [0, 1) for this test, seeded from `variable` (default STOWAGE_TEST_SEED) when set, or
 * else from the clock; the seed goes into the test's report either way, so a failure can be replayed.
 */
export function seededRandom(t: TestContext, variable = "STOWAGE_TEST_SEED"): () => number {
  const given = process.env[variable];
  const seed = given !== undefined && given !== "" ? Number(given) : Date.now() % 1_000_000;
  if (!Number.isInteger(seed)) throw new Error(`${variable} must be an integer, not ${JSON.stringify(given)}`);
  t.diagnostic(`random seed ${seed} (${variable}=${seed} replays this run)`);
  return mulberry32(seed);
}
