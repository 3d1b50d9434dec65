// The text of a PDF made with the standard fonts, read back for assertions. The PDF writer compresses
// each page's content stream and writes text as hex strings inside TJ arrays, one array per line drawn.
import { inflateSync } from "node:zlib";

export function pdfLines(pdf: Buffer): string[] {
  const lines: string[] = [];
  for (const stream of pdf.toString("latin1").matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)) {
    let content: string;
    try {
      content = inflateSync(Buffer.from(stream[1], "latin1")).toString("latin1");
    } catch {
      continue; // a font or an image, not a page
    }
    for (const shown of content.matchAll(/\[(.*?)\] TJ/g))
      lines.push([...shown[1].matchAll(/<([0-9a-f]*)>/gi)].map((hex) => Buffer.from(hex[1], "hex").toString("latin1")).join(""));
  }
  return lines;
}
