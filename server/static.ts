import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

function decodedPath(url: string | undefined): string | null {
  try {
    return decodeURIComponent(new URL(url ?? "/", "http://x").pathname);
  } catch {
    return null;
  }
}

/** Serves the built web client; unknown paths get the SPA shell so client-side routes work on reload. */
export function staticFiles(root: string) {
  const base = resolve(root);
  return async (req: IncomingMessage, res: ServerResponse) => {
    const path = decodedPath(req.url);
    if (path === null) {
      res.writeHead(400, { "content-type": "text/plain" }).end("Malformed % escape in the URL");
      return;
    }
    const candidate = normalize(join(base, path));
    // Inside the folder, not merely named like it: "/..%2fbuild-old/x" would reach a sibling "build-old".
    let file = candidate.startsWith(base + sep) ? candidate : join(base, "index.html");
    const info = await stat(file).catch(() => null);
    if (!info || info.isDirectory()) file = join(base, "index.html");
    const shell = await stat(file).catch(() => null);
    if (!shell) {
      res.writeHead(503, { "content-type": "text/plain" }).end("The web client is not built: run npm run build");
      return;
    }
    const immutable = path.startsWith("/_app/immutable/");
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
      "x-content-type-options": "nosniff",
    });
    createReadStream(file).pipe(res);
  };
}
