// Runs one of the project's processes (API, worker) as its own Node process, as in production.
import { spawn, type ChildProcess } from "node:child_process";

const ROOT = new URL("../..", import.meta.url).pathname;

export interface Proc {
  url: string;
  child: ChildProcess;
  output: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The JSON log lines a process wrote. */
export function logLines(proc: Proc): Record<string, unknown>[] {
  return proc.output
    .join("")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
}

/** Processes started here and still running: killed when this one exits without stopping them (a figure or test that threw). */
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** `child`, killed with this process unless it exits first: otherwise it would outlive its run and load the machine. */
export function ownedChild<T extends ChildProcess>(child: T): T {
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

export function startProcess(script: string, env: Record<string, string>, readyPattern: RegExp): Promise<Proc> {
  const child = ownedChild(spawn(process.execPath, ["--import", "tsx", script], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "test", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  }));
  const output: string[] = [];
  let started = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start:\n${output.join("")}`)), 60_000);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output.push(text);
      if (process.env.TEST_VERBOSE) process.stderr.write(text);
      // Once started, a busy server's log would make re-reading the whole output quadratic.
      if (started) return;
      const match = readyPattern.exec(output.join(""));
      if (match) {
        started = true;
        clearTimeout(timer);
        resolve({
          url: match[1] ?? "",
          child,
          output,
          stop: (signal = "SIGTERM") =>
            new Promise((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode);
              child.once("exit", (code) => done(code));
              child.kill(signal);
            }),
        });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}:\n${output.join("")}`));
    });
  });
}

