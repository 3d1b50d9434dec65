// The runners know only the jobs in schema/jobs.ts. A job left out of that list fails when it is
// enqueued, in production, so the list is checked here against the code that defines and enqueues jobs.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { JobCatalog, type JobDefinition } from "../../schema/common/jobs.js";
import { jobs } from "../../schema/jobs.js";

const ROOT = new URL("../../", import.meta.url).pathname;

function sourceFiles(folder: string): string[] {
  return readdirSync(`${ROOT}${folder}`, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => `${folder}/${f}`);
}

const sources = ["schema", "server", "platform"].flatMap(sourceFiles).map((path) => ({ path, text: readFileSync(`${ROOT}${path}`, "utf8") }));

/** Every `export const NAME = "literal"` of the sources: job names are mostly such constants. */
const constants = new Map(sources.flatMap(({ text }) => [...text.matchAll(/export const (\w+) = "([^"]+)"/g)].map((m) => [m[1], m[2]] as const)));

describe("schema/jobs.ts", () => {
  const names = jobs.map((j) => j.name);

  it("names each job once", () => {
    expect(() => new JobCatalog(jobs)).not.toThrow();
    expect(new Set(names).size).toBe(names.length);
  });

  it("holds the jobs every domain exports", async () => {
    const domainFiles = sources.filter(({ path, text }) => /^schema\/\w+\/jobs\.ts$/.test(path) && /export const jobs\b/.test(text));
    expect(domainFiles.length).toBeGreaterThanOrEqual(5);
    for (const { path } of domainFiles) {
      const exported: JobDefinition[] = (await import(`${ROOT}${path}`)).jobs;
      for (const job of exported) expect(jobs, `${job.name} of ${path}`).toContain(job);
    }
  });

  it("holds every job the code enqueues", () => {
    const enqueued = sources.flatMap(({ path, text }) =>
      [...text.matchAll(/\.enqueue\(\s*(?:"([^"]+)"|(\w+))\s*,/g)].map((m) => ({ at: path, name: m[1] ?? constants.get(m[2]) ?? m[2] })),
    );
    expect(enqueued.length).toBeGreaterThanOrEqual(5);
    for (const { at, name } of enqueued) expect(names, `enqueued in ${at}`).toContain(name);
  });
});
