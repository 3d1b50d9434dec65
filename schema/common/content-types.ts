// Uploads are stored and served under the type their sender claims; checking the first bytes
// against it means a renamed executable or HTML page is never served as an image. Shared by every
// upload (appointment attachments, work screenshots).

/** The first bytes each type must start with. */
const MAGIC: Record<string, (b: Buffer) => boolean> = {
  "image/png": (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  "image/jpeg": (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  "image/gif": (b) => b.subarray(0, 4).toString("latin1") === "GIF8",
  "image/webp": (b) => b.subarray(0, 4).toString("latin1") === "RIFF" && b.subarray(8, 12).toString("latin1") === "WEBP",
  "application/pdf": (b) => b.subarray(0, 5).toString("latin1") === "%PDF-",
  "text/plain": (b) => !b.includes(0),
};

/** Whether the bytes are what the MIME type says; false for a type not listed above. */
export function contentMatches(mime: string, bytes: Buffer): boolean {
  return MAGIC[mime]?.(bytes) ?? false;
}
