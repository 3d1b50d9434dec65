// The authorization figures: the matrix test is the measurement (every root field and endpoint
// against every kind of caller), so the bench runs it and prints what it counted.
import { suiteFigures, type Row } from "./support.js";

export interface MatrixFigures {
  surface: string;
  items: number;
  callers: number;
  cells: number;
  escalations: number;
  crossWorkspaceReads: number;
}

export function authorizationMatrix(): Row[] {
  const { figures, passed } = suiteFigures<MatrixFigures[]>("test/api/authorization-matrix.test.ts", "AUTHZ_MATRIX_REPORT");
  return figures.map((f) => ({
    surface: f.surface,
    "fields or endpoints": f.items,
    callers: f.callers,
    "cells checked": f.cells,
    escalations: f.escalations,
    "cross-workspace reads": f.crossWorkspaceReads,
    "matrix test": passed ? "passed" : "FAILED",
  }));
}
