// A load client for the fan-out bench, run as its own process so the sockets' cost isn't the API's
// or the bench's: it opens its share of Live board subscribers (liveBoard, the whole board with every
// payload, or liveBoardChanges, changes after a first whole board) and reports what they received.
// Messages from the bench (IPC): {open}, {watch}, {reset}, {report}; answers: {opened}, {report}.
import WebSocket from "ws";

export type Board = "liveBoard" | "liveBoardChanges";
/** serverTime and reason come first, so every payload's lag is read without parsing the board. */
const query = (board: Board) =>
  `subscription { ${board}(ticks: true) { serverTime reason sessions { id kind state ticking accumulatedSeconds serverTime }${board === "liveBoardChanges" ? " removedIds" : ""} } }`;
const HEAD = /"serverTime":"([^"]+)","reason":"(\w+)"/;

interface Open { wsUrl: string; board: Board; tokens: string[]; count: number; first: number; sampleEvery: number }
/** A change the bench is about to make: `id` should show `state` on boards that show it. */
interface Watch { id: string; state: string; at: number }

const watches = new Map<string, Watch>();
let tickLags: number[] = [];
/** From a change payload's serverTime (when the server took it) to its arrival: the fan-out's part of a change's lag. */
let sendLags: number[] = [];
/** Change lags apart on boards of everyone's sessions (managers, the whole board) and of one's own. */
let changeLags: { whole: number[]; own: number[] } = { whole: [], own: [] };
/** Sockets whose board had a ticking session when they joined: only those get ticks. */
let tickingSockets = 0;
/** A first board with more rows than this is a manager's, of everyone's sessions; one's own are a few. */
const MANY_ROWS = 20;

type Session = { id: string; state: string; ticking: boolean };
const sessionsOf = (data: Buffer, board: Board) => JSON.parse(data.toString()).payload.data[board].sessions as Session[];

/**
 * Every socket reads the head of each payload. Payloads of one's own rows, and changes, are small
 * and are read whole; of the whole boards of everyone's sessions (a manager's liveBoard) only the
 * sampled sockets' are, to see when a watched change arrives.
 */
function subscriber(wsUrl: string, board: Board, token: string, sampled: boolean): Promise<void> {
  const seen = new Map<string, number>();
  let subscribed = false;
  let everyones = false;
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, "graphql-transport-ws", { perMessageDeflate: false });
    socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: { token } })));
    socket.on("error", reject);
    socket.on("close", (code) => reject(Object.assign(new Error(`closed ${code}`), { code })));
    socket.on("message", (data: Buffer) => {
      const received = Date.now();
      const head = HEAD.exec(data.toString("latin1", 0, 160));
      if (!head) {
        const message = JSON.parse(data.toString());
        if (message.type === "connection_ack") socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: query(board) } }));
        else if (message.type !== "ping" && message.type !== "pong") reject(new Error(data.toString().slice(0, 300)));
        return;
      }
      // The first payload, whatever its reason, is the whole board: a socket joining a group that
      // already runs gets the group's latest one.
      if (!subscribed) {
        subscribed = true;
        const sessions = sessionsOf(data, board);
        everyones = sessions.length > MANY_ROWS;
        if (sessions.some((s) => s.ticking)) tickingSockets++;
        return resolve();
      }
      if (head[2] === "TICK") tickLags.push(received - Date.parse(head[1]));
      if (head[2] === "CHANGE") sendLags.push(received - Date.parse(head[1]));
      if (everyones && !sampled && board === "liveBoard") return;
      // Of liveBoard, a socket still writing one payload gets only the newest next: a change may arrive in a tick.
      for (const session of sessionsOf(data, board)) {
        const watch = watches.get(session.id);
        if (!watch || watch.state !== session.state || (seen.get(session.id) ?? 0) >= watch.at) continue;
        seen.set(session.id, watch.at);
        changeLags[everyones ? "whole" : "own"].push(received - watch.at);
      }
    });
  });
}

process.on("message", async (message: { open?: Open; watch?: Watch; reset?: true; report?: true }) => {
  if (message.watch) watches.set(message.watch.id, message.watch);
  if (message.reset) [tickLags, sendLags, changeLags] = [[], [], { whole: [], own: [] }];
  if (message.report) process.send!({ report: { tickLags, sendLags, changeLags, tickingSockets } });
  if (message.open) {
    const { wsUrl, board, tokens, count, first, sampleEvery } = message.open;
    // In batches: a burst of thousands of handshakes at once measures the accept queue, not fan-out.
    let retries = 0;
    const open = async (n: number): Promise<void> => {
      try {
        await subscriber(wsUrl, board, tokens[n % tokens.length], n % sampleEvery === 0);
      } catch (error) {
        // On a loaded machine a busy server may time a handshake out (4408): a real client reconnects.
        if ((error as { code?: number }).code !== 4408 || ++retries > count / 10) throw error;
        return open(n);
      }
    };
    for (let i = 0; i < count; i += 100) {
      const batch = Array.from({ length: Math.min(100, count - i) }, (_, j) => first + i + j);
      await Promise.all(batch.map(open));
    }
    process.send!({ opened: { retries } });
  }
});
