// Uploading an ActivityWatch export (aw-buckets-export.json) to POST /api/work/import, with upload
// progress (fetch has none, hence XMLHttpRequest) and the API's answers turned into our own words.
import { UNREACHABLE } from "./graphql";

export interface ImportSummary {
  /** Buckets read from the export. */
  buckets: number;
  /** Desktop events the export became, and how many of them an earlier import already brought. */
  accepted: number;
  duplicates: number;
  /** Work sessions created or changed. */
  sessions: number;
  rejected: { bucket: string; index: number; reason: string }[];
}

/** What went wrong, for the form field it belongs to (null: the form as a whole). */
export class ImportProblem extends Error {
  constructor(
    readonly field: "file" | "employee" | null,
    message: string,
  ) {
    super(message);
  }
}

/** The import route's body limit. */
const MAX_BYTES = 100_000_000;

export type ImportPhase = { step: "reading" } | { step: "uploading"; fraction: number } | { step: "importing" };

/** Checks the file is an export before sending megabytes the server would refuse. */
async function readExport(file: File): Promise<string> {
  if (file.size > MAX_BYTES) throw new ImportProblem("file", "The file is larger than 100 MB: export a shorter period");
  const text = await file.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ImportProblem("file", "This file isn't JSON: choose the aw-buckets-export.json ActivityWatch saved");
  }
  const buckets = (parsed as { buckets?: unknown })?.buckets;
  if (typeof buckets !== "object" || buckets === null || Array.isArray(buckets))
    throw new ImportProblem("file", "This file isn't an ActivityWatch export: it has no buckets");
  return text;
}

function failure(status: number): ImportProblem {
  if (status === 400) return new ImportProblem("file", "This file isn't an ActivityWatch export ActivityWatch can read back");
  if (status === 401) return new ImportProblem(null, "Your session has ended: sign in again");
  if (status === 403) return new ImportProblem("employee", "You can import only your own time");
  if (status === 404) return new ImportProblem("employee", "This employee is no longer in the workspace");
  if (status === 413) return new ImportProblem("file", "The file is larger than 100 MB: export a shorter period");
  if (status === 429) return new ImportProblem(null, "Too many imports just now: try again in a minute");
  return new ImportProblem(null, "The import didn't go through: try again");
}

export async function importExport(file: File, employeeId: string | null, onphase: (phase: ImportPhase) => void): Promise<ImportSummary> {
  onphase({ step: "reading" });
  const body = await readExport(file);
  const query = employeeId ? `?employee=${encodeURIComponent(employeeId)}` : "";
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/work/import${query}`);
    xhr.setRequestHeader("content-type", "application/json");
    xhr.upload.onprogress = (e) => onphase({ step: "uploading", fraction: e.lengthComputable ? e.loaded / e.total : 0 });
    xhr.upload.onload = () => onphase({ step: "importing" });
    xhr.onerror = () => reject(new ImportProblem(null, UNREACHABLE));
    xhr.onload = () => {
      if (xhr.status !== 200) return reject(failure(xhr.status));
      try {
        resolve(JSON.parse(xhr.responseText) as ImportSummary);
      } catch {
        reject(failure(xhr.status));
      }
    };
    onphase({ step: "uploading", fraction: 0 });
    xhr.send(body);
  });
}

/** Skipped events grouped by bucket and reason, most frequent first. */
export function skippedByReason(rejected: ImportSummary["rejected"]): { bucket: string; reason: string; count: number }[] {
  const groups = new Map<string, { bucket: string; reason: string; count: number }>();
  for (const r of rejected) {
    const key = `${r.bucket}\n${r.reason}`;
    const group = groups.get(key) ?? { bucket: r.bucket, reason: r.reason, count: 0 };
    group.count++;
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}
