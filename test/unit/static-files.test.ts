// The web client's files: nothing outside its folder is served, also through an encoded slash.
import { mkdtemp, mkdir, writeFile } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { staticFiles } from "../../server/static.js";

let server: Server;
let port: number;
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "static-"));
  await mkdir(join(dir, "build"));
  await writeFile(join(dir, "build", "index.html"), "the shell");
  await writeFile(join(dir, "build", "app.txt"), "a file of the client");
  // A sibling whose name starts with the folder's: a prefix check alone would let it through.
  await mkdir(join(dir, "build-old"));
  await writeFile(join(dir, "build-old", "secret.txt"), "not for the web");
  server = createServer(staticFiles(join(dir, "build")));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

/** GET with the path exactly as written (fetch would normalise it first). */
const get = (path: string) =>
  new Promise<string>((resolve, reject) => {
    request({ host: "127.0.0.1", port, path }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve(body));
    })
      .on("error", reject)
      .end();
  });

it("serves the folder's files and the shell for anything else, never a sibling folder's", async () => {
  expect(await get("/app.txt")).toBe("a file of the client");
  expect(await get("/some/route")).toBe("the shell");
  for (const path of ["/..%2fbuild-old%2fsecret.txt", "/../build-old/secret.txt", "/%2e%2e/build-old/secret.txt", "/..%2f..%2fbuild-old%2fsecret.txt"]) {
    expect(await get(path), path).toBe("the shell");
  }
});
