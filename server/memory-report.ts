// Benches measure memory per subscriber at steady state, which a max-RSS difference can't tell
// (garbage not yet collected counts): on SIGUSR2 the process collects fully, then logs its usage.
// Only when BENCH_MEMORY=1 is set: forcing full collections has no business in production. With
// BENCH_HEAP_SNAPSHOTS=<dir> it also writes a heap snapshot there, to see where the bytes go.
import { join } from "node:path";
import { setFlagsFromString, writeHeapSnapshot } from "node:v8";
import { runInNewContext } from "node:vm";
import { log } from "../schema/common/log.js";

export function reportMemoryOnSignal() {
  // Set at run time (a new context then gets `gc`), so the bench starts the API as production does.
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  process.on("SIGUSR2", () => {
    // Twice: the first pass runs finalizers (ws buffers, weak maps) whose garbage the second frees.
    gc();
    gc();
    const memory = process.memoryUsage();
    const dir = process.env.BENCH_HEAP_SNAPSHOTS;
    const snapshot = dir ? writeHeapSnapshot(join(dir, `${process.pid}-${Date.now()}.heapsnapshot`)) : null;
    log.info({ memory, snapshot }, "memory after a full collection");
  });
}
