// The bad-input figures: the property-based suite is the measurement (hostile values for every root
// field and plain endpoint), so the bench runs it with many cases and prints what it counted.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Row } from "./support.js";

export interface BadInputFigures {
  surface: string;
  items: number;
  tried: number;
  serverErrors: number;
  partialWrites: number;
}

/** `BAD_INPUT_RUNS` cases per field (four times as many per endpoint); 50 unless set. */
export function badInput(): Row[] {
  const dir = mkdtempSync(join(tmpdir(), "bad-input-"));
  const report = join(dir, "figures.json");
  try {
    const run = spawnSync("npx", ["vitest", "run", "test/api/bad-input.test.ts", "--testTimeout", "3600000", "--hookTimeout", "300000"], {
      env: { ...process.env, BAD_INPUT_REPORT: report, BAD_INPUT_RUNS: process.env.BAD_INPUT_RUNS ?? "50" },
      stdio: ["ignore", "ignore", "inherit"],
    });
    const figures = JSON.parse(readFileSync(report, "utf8")) as BadInputFigures[];
    return figures.map((f) => ({
      surface: f.surface,
      "fields or endpoints": f.items,
      "bad inputs tried": f.tried,
      "server errors (goal 0)": f.serverErrors,
      "partial writes (goal 0)": f.partialWrites,
      "suite": run.status === 0 ? "passed" : "FAILED",
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
