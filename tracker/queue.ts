// The tracker's outbox: events for the platform survive a lost connection, a crash or a reboot.
// JSON lines, fsync'd before the watchers are answered for them; sent oldest first.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { writeDurably } from "./files.js";

export type PlatformEvent = { id: string; type: "window" | "afk" | "close"; timestamp: string; duration?: number; pulsetime?: number; data?: Record<string, unknown> };

export class DurableQueue {
  private items: PlatformEvent[];

  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    // A line torn by a crash mid-write is the only one that can fail to parse: it was never acknowledged.
    this.items = existsSync(file)
      ? readFileSync(file, "utf8")
          .split("\n")
          .filter(Boolean)
          .flatMap((line) => {
            try {
              return [JSON.parse(line) as PlatformEvent];
            } catch {
              return [];
            }
          })
      : [];
  }

  get size() {
    return this.items.length;
  }

  append(events: PlatformEvent[]) {
    if (!events.length) return;
    const fd = openSync(this.file, "a");
    try {
      writeSync(fd, events.map((e) => JSON.stringify(e) + "\n").join(""));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.items.push(...events);
  }

  peek(max: number): PlatformEvent[] {
    return this.items.slice(0, max);
  }

  /** Forgets the oldest `count` events (delivered): the file is replaced atomically. */
  drop(count: number) {
    this.items.splice(0, count);
    writeDurably(this.file, this.items.map((e) => JSON.stringify(e) + "\n").join(""));
  }
}
