// Pure billing rules of agent sessions: no I/O, tested directly.

export type BeatKind = "active" | "agent" | "idle";

export interface BeatSpan {
  kind: BeatKind;
  startedAt: Date;
  endedAt: Date | null;
}

/** active is always billable, agent only when the session bills agent time, idle never. */
export function isBillable(kind: BeatKind, billAgentTime: boolean): boolean {
  return kind === "active" || (kind === "agent" && billAgentTime);
}

function seconds(beat: BeatSpan, now: Date): number {
  const end = beat.endedAt ?? now;
  return Math.max(0, Math.floor((end.getTime() - beat.startedAt.getTime()) / 1000));
}

export interface SessionTotals {
  billableSeconds: number;
  activeSeconds: number;
  agentSeconds: number;
  idleSeconds: number;
}

/** Totals of a session's beats; an open beat counts up to `now`. */
export function totals(beats: readonly BeatSpan[], billAgentTime: boolean, now: Date): SessionTotals {
  const result = { billableSeconds: 0, activeSeconds: 0, agentSeconds: 0, idleSeconds: 0 };
  for (const beat of beats) {
    const s = seconds(beat, now);
    result[`${beat.kind}Seconds`] += s;
    if (isBillable(beat.kind, billAgentTime)) result.billableSeconds += s;
  }
  return result;
}
