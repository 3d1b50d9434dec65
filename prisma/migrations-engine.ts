// Prisma Migrate without the native schema-engine binary: the WASM schema engine talking to
// PostgreSQL through @prisma/adapter-pg. Migrations live in prisma/migrations in Prisma's format.
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import * as bg from "@prisma/schema-engine-wasm/schema_engine_bg";
import type { MigrationList, SchemaEngine, SchemaFilter } from "@prisma/schema-engine-wasm/schema_engine_bg";
import { startMemoryPostgres } from "../server/db/embedded.ts";

const prismaDir = dirname(fileURLToPath(import.meta.url));
const schemaPath = join(prismaDir, "schema.prisma");
const migrationsDir = join(prismaDir, "migrations");
const noFilter: SchemaFilter = { externalTables: [], externalEnums: [] };

let wasmReady: Promise<void> | undefined;
// Importing the package root needs --experimental-wasm-modules on Node 20; instantiate by hand instead.
function loadWasm(): Promise<void> {
  wasmReady ??= (async () => {
    const jsPath = createRequire(import.meta.url).resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const bytes = await readFile(join(dirname(jsPath), "schema_engine_bg.wasm"));
    const { instance } = await WebAssembly.instantiate(bytes, { "./schema_engine_bg.js": bg });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
  })();
  return wasmReady;
}

/** Like PrismaPg, but the shadow database is a throwaway in-memory PGlite. */
function adapterFactory(connectionString: string): SqlMigrationAwareDriverAdapterFactory {
  const main = new PrismaPg({ connectionString });
  return {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: () => main.connect(),
    // PrismaPg's own connectToShadowDb creates/drops a database on the main server; built from a
    // connection string it even ends up using the main database itself.
    async connectToShadowDb(): Promise<SqlDriverAdapter> {
      const shadow = await startMemoryPostgres();
      const adapter = await new PrismaPg({ connectionString: shadow.connectionString }).connect();
      const dispose = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        await dispose();
        await shadow.stop();
      };
      return adapter;
    },
  };
}

async function withEngine<T>(connectionString: string, run: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  await loadWasm();
  const schema = await readFile(schemaPath, "utf8");
  const log = (line: string) => {
    if (process.env.DEBUG) console.error(line);
  };
  const engine = await bg.SchemaEngine.new(
    { datamodels: [[schemaPath, schema]] },
    log,
    bindMigrationAwareSqlAdapterFactory(adapterFactory(connectionString)),
  );
  try {
    return await run(engine);
  } finally {
    engine.free();
  }
}

async function readMigrations(): Promise<MigrationList> {
  const lockPath = "migration_lock.toml";
  const lock = await readFile(join(migrationsDir, lockPath), "utf8").catch(() => null);
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch(() => []);
  const dirs = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return {
    baseDir: migrationsDir,
    lockfile: { path: lockPath, content: lock },
    shadowDbInitScript: "",
    migrationDirectories: await Promise.all(
      dirs.map(async (path) => ({
        path,
        migrationFile: {
          path: "migration.sql",
          content: await readFile(join(migrationsDir, path, "migration.sql"), "utf8").then(
            (value) => ({ tag: "ok" as const, value }),
            (error: Error) => ({ tag: "error" as const, value: error.message }),
          ),
        },
      })),
    ),
  };
}

/** `prisma migrate deploy`: applies the pending migrations, returns their names. */
export async function applyMigrations(connectionString: string): Promise<string[]> {
  const migrationsList = await readMigrations();
  return withEngine(connectionString, async (engine) => {
    const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: noFilter });
    return appliedMigrationNames;
  });
}

export async function _experiment(url?: string) {
  const pg = url ? undefined : await startMemoryPostgres();
  try {
    const migrationsList = await readMigrations();
    migrationsList.lockfile.content ??= 'provider = "postgresql"\n';
    const schema = await readFile(schemaPath, "utf8");
    return await withEngine(url ?? pg!.connectionString, async (engine) => {
      return await engine.diff({ from: { tag: "migrations", ...migrationsList }, to: { tag: "schemaDatamodel", files: [{ path: schemaPath, content: schema }] }, script: true, exitCode: true, filters: noFilter });
    });
  } finally { await pg?.stop(); }
}
