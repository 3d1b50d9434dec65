// The authorization figures: the matrix test is the measurement (every root field and endpoint
// against every kind of caller), so the bench runs it and prints what it counted.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Row } from "./support.js";

export interface MatrixFigures {
  surface: string;
  items: number;
  callers: number;
  cells: number;
  escalations: number;
  crossWorkspaceReads: number;
}

export function authorizationMatrix(): Row[] {
  const dir = mkdtempSync(join(tmpdir(), "authz-matrix-"));
  const report = join(dir, "figures.json");
  try {
    const run = spawnSync("npx", ["vitest", "run", "test/api/authorization-matrix.test.ts"], {
      env: { ...process.env, AUTHZ_MATRIX_REPORT: report },
      stdio: ["ignore", "ignore", "inherit"],
    });
    const figures = JSON.parse(readFileSync(report, "utf8")) as MatrixFigures[];
    return figures.map((f) => ({
      surface: f.surface,
      "fields or endpoints": f.items,
      callers: f.callers,
      "cells checked": f.cells,
      escalations: f.escalations,
      "cross-workspace reads": f.crossWorkspaceReads,
      "matrix test": run.status === 0 ? "passed" : "FAILED",
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
