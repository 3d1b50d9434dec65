// Benches measure memory per subscriber at steady state, which a max-RSS difference can't tell
// (garbage not yet collected counts): on SIGUSR2 the process collects fully, then logs its usage.
// Only when BENCH_MEMORY=1 is set: forcing full collections has no business in production.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { log } from "../schema/common/log.js";

export function reportMemoryOnSignal() {
  // --expose-gc can't be passed through NODE_OPTIONS on Node 20; set at run time, a new context gets `gc`.
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  process.on("SIGUSR2", () => {
    // Twice: the first pass runs finalizers (ws buffers, weak maps) whose garbage the second frees.
    gc();
    gc();
    log.info({ memory: process.memoryUsage() }, "memory after a full collection");
  });
}
