// Every domain keeps its workspace settings in one section of the workspace's settings document.
// Reading the document, changing it in JavaScript and writing it back loses whatever another
// request wrote in between; merging in one SQL statement keeps both.
import type { Db, Tx } from "./context.js";

/** Merges `changes` into `section` of the workspace's settings in one statement; the settings as stored after it. */
export async function mergeSettings(db: Db | Tx, workspaceId: string, section: string, changes: Record<string, unknown>): Promise<unknown> {
  const rows = await db.$queryRaw<{ settings: unknown }[]>`
    UPDATE "Workspace"
    SET settings = jsonb_set(
      CASE WHEN jsonb_typeof(settings) = 'object' THEN settings ELSE '{}'::jsonb END,
      ARRAY[${section}]::text[],
      CASE WHEN jsonb_typeof(settings -> ${section}) = 'object' THEN settings -> ${section} ELSE '{}'::jsonb END || ${JSON.stringify(changes)}::jsonb)
    WHERE id = ${workspaceId}::uuid
    RETURNING settings`;
  return rows[0]?.settings ?? {};
}
