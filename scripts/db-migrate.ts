// `npm run db:migrate`: applies prisma/migrations to DATABASE_URL (or the embedded database).
import { env } from "@/server/env";
import { migrate } from "@/server/db/migrate";

const config = env();
const url = config.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL is not set. `npm start` migrates the embedded database by itself.");
  process.exit(1);
}
try {
  const result = await migrate({ databaseUrl: url, lockTimeoutMs: config.MIGRATION_LOCK_TIMEOUT, log: (line) => console.log(line) });
  console.log(`${result.applied.length} migration(s) applied, ${result.alreadyApplied} already applied.`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
