// The bad-input figures: the property-based suite is the measurement (hostile values for every root
// field and plain endpoint), so the bench runs it with many cases and prints what it counted.
import { quick, suiteFigures, type Row } from "./support.js";

export interface BadInputFigures {
  surface: string;
  items: number;
  tried: number;
  serverErrors: number;
  partialWrites: number;
  /** Replays the run's cases (BAD_INPUT_SEED). */
  seed: number;
}

/** `BAD_INPUT_RUNS` cases per field (four times as many per endpoint); 50 unless set (2 with `--quick`). */
export function badInput(): Row[] {
  const env = { BAD_INPUT_RUNS: process.env.BAD_INPUT_RUNS ?? (quick ? "2" : "50") };
  const { figures, passed } = suiteFigures<BadInputFigures[]>("test/api/bad-input.test.ts", "BAD_INPUT_REPORT", env, ["--testTimeout", "3600000"]);
  return figures.map((f) => ({
    surface: f.surface,
    "fields or endpoints": f.items,
    "bad inputs tried": f.tried,
    "server errors (goal 0)": f.serverErrors,
    "partial writes (goal 0)": f.partialWrites,
    suite: passed ? "passed" : "FAILED",
    "BAD_INPUT_SEED": f.seed,
  }));
}
