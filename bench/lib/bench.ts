// How every bench file runs: measure, check, then print. Figures are held back until the whole bench has finished
// and every check has passed, so a timeout or a wrong result prints no figure at all, only the reason on stderr,
// and the process exits 1 (the runner reports the bench as failed).
import { currentLoad, round, type Figure } from "./figure.js";

export type FigureInput = Omit<Figure, "load"> & { load?: number };

export interface BenchContext {
  /** Records a figure, printed only when the bench completes. Take the load now: it is the load while measuring. */
  figure(figure: FigureInput): void;
}

/** A check of a bench's result failed: the result is wrong, so there is no figure to give. */
export class CheckFailed extends Error {
  override name = "CheckFailed";
}

/** A wait for the event that proves a step went past its deadline. */
export class BenchTimeout extends Error {
  override name = "BenchTimeout";
}

/**
 * For a bench written as a top-level script: figures are held until finish(). A check that throws or a wait that
 * times out before it rejects the module's top-level await, so Node prints why and exits 1 with no figure printed.
 */
export function openBench(): BenchContext & { finish(): void } {
  const figures: Figure[] = [];
  return {
    figure: (f) => void figures.push({ ...f, value: round(f.value), load: f.load ?? currentLoad() }),
    finish: () => {
      for (const f of figures) process.stdout.write(JSON.stringify(f) + "\n");
    },
  };
}

/** Runs a bench's main: its figures are printed when it resolves; when it throws, none are and the process exits 1. */
export async function runBench(name: string, main: (ctx: BenchContext) => Promise<void>): Promise<void> {
  const figures: Figure[] = [];
  const ctx: BenchContext = {
    figure: (f) => void figures.push({ ...f, value: round(f.value), load: f.load ?? currentLoad() }),
  };
  try {
    await main(ctx);
  } catch (err) {
    const why = err instanceof CheckFailed ? "wrong result" : err instanceof BenchTimeout ? "timed out" : "failed";
    process.stderr.write(
      `bench ${name} ${why}, no figure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    // exit, not exitCode: a bench that failed half-way may hold servers and timers that keep the loop alive.
    process.exit(1);
  }
  for (const f of figures) process.stdout.write(JSON.stringify(f) + "\n");
}
