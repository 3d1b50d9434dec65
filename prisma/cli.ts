// npx tsx prisma/cli.ts migrate           apply pending migrations to DATABASE_URL, or to the
//                                         embedded PGlite in ${DATA_DIR ?? ".data"} when unset
// npx tsx prisma/cli.ts migration <name>  create a migration from changes to prisma/schema.prisma
import { relative } from "node:path";
import { startEmbeddedPostgres } from "../platform/db/embedded.js";
import { applyMigrations, createMigration } from "./migrations-engine.js";

async function migrate(): Promise<void> {
  const url = process.env.DATABASE_URL;
  const dataDir = process.env.DATA_DIR ?? ".data";
  const embedded = url ? undefined : await startEmbeddedPostgres(dataDir);
  try {
    const applied = await applyMigrations(url ?? embedded!.connectionString);
    const target = url ? "DATABASE_URL" : `embedded PGlite in ${dataDir}`;
    console.log(
      applied.length
        ? `Applied ${applied.length} migration(s) to ${target}:\n  ${applied.join("\n  ")}`
        : `No pending migrations; ${target} is up to date.`,
    );
  } finally {
    await embedded?.stop();
  }
}

async function migration(name: string | undefined): Promise<void> {
  if (!name) throw new Error("Usage: tsx prisma/cli.ts migration <name>");
  const dir = await createMigration(name);
  console.log(
    dir
      ? `Created ${relative(process.cwd(), dir)}/migration.sql; review it, then run: npm run db:migrate`
      : "No changes in prisma/schema.prisma since the last migration; nothing created.",
  );
}

const [command, arg] = process.argv.slice(2);
try {
  if (command === "migrate") await migrate();
  else if (command === "migration") await migration(arg);
  else throw new Error("Usage: tsx prisma/cli.ts migrate | migration <name>");
} catch (error) {
  console.error(`${command ?? "prisma/cli.ts"} failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
