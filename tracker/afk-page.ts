// The tracker's own page, http://127.0.0.1:5600/: the AFK periods the platform asks about, each
// with the five answers. Plain HTML forms, no script; only pages of this origin may post answers.
import type { IncomingMessage, ServerResponse } from "node:http";
import { AFK_ANSWERS, formatDuration, PromptError, wallTime, type AfkPrompt } from "./afk-prompts.js";
import { readText } from "./body.js";
import type { Tracker } from "./tracker.js";

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function html(res: ServerResponse, status: number, body: string) {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "x-frame-options": "DENY", "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'" });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>AFK periods – Sessions tracker</title>
<style>body{font:16px system-ui,sans-serif;max-width:40rem;margin:1.5rem auto;padding:0 1rem}li{margin:0 0 1rem}button{font:inherit;margin:.25rem .25rem 0 0;padding:.35rem .8rem}.mono{font-variant-numeric:tabular-nums}[role=status]{padding:.5rem;background:#eef6ee}[role=alert]{padding:.5rem;background:#fbeaea}</style>
</head><body><main><h1>What was the time away?</h1>${body}</main></body></html>`);
}

function prompt(p: AfkPrompt) {
  const end = p.endedAt ?? new Date().toISOString();
  const label = `Away ${wallTime(p.startedAt)}–${p.endedAt ? wallTime(p.endedAt) : "now"}`;
  const buttons = AFK_ANSWERS.map(([value, text]) => `<button name="reason" value="${value}">${text}</button>`).join("");
  return `<li><form method="post" action="/afk/${encodeURIComponent(p.id)}" aria-label="${escape(label)}">
<span class="mono">${escape(label)} (${formatDuration((Date.parse(end) - Date.parse(p.startedAt)) / 1000)})</span><br>${buttons}</form></li>`;
}

/** GET /: the unanswered AFK periods, newest first, and how the last answer went. */
export async function afkPage(tracker: Tracker, url: URL, res: ServerResponse) {
  const note = url.searchParams.has("answered") ? `<p role="status">Saved.</p>` : "";
  let list: AfkPrompt[];
  try {
    list = await tracker.prompts.list();
  } catch (error) {
    if (!(error instanceof PromptError)) throw error;
    return html(res, 200, `${note}<p role="alert">${escape(error.message)}</p>`);
  }
  const body = list.length ? `<ul>${list.map(prompt).join("")}</ul>` : "<p>Nothing to answer: every AFK period is filed.</p>";
  html(res, 200, note + body);
}

/** Another site's page posting here (the browser says where a form came from) is refused. */
function fromThisPage(req: IncomingMessage) {
  const site = req.headers["sec-fetch-site"];
  if (site && site !== "same-origin" && site !== "none") return false;
  const origin = req.headers.origin;
  return !origin || origin === `http://${req.headers.host}`;
}

/** POST /afk/<id> with reason=BREAK|MEETING|LUNCH|CALL|WORK, from the page's buttons. */
export async function answerFromPage(tracker: Tracker, id: string, req: IncomingMessage, res: ServerResponse) {
  if (!fromThisPage(req)) return html(res, 403, `<p role="alert">Answers are taken only from this page.</p>`);
  const reason = new URLSearchParams(await readText(req)).get("reason") ?? "";
  let problem: string | null;
  try {
    problem = await tracker.prompts.answer(id, reason);
  } catch (error) {
    if (!(error instanceof PromptError)) throw error;
    problem = error.message;
  }
  if (problem) return html(res, 422, `<p role="alert">${escape(problem)}</p><p><a href="/">Back to the list</a></p>`);
  res.writeHead(303, { location: "/?answered" });
  res.end();
}
