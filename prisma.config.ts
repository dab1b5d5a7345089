import { defineConfig } from "prisma/config";

// Prisma's CLI reads this file. The URL is only needed by commands that talk to a
// database (`prisma migrate deploy` where the engine can be downloaded); `prisma generate`
// works without one, so a placeholder keeps it from failing on machines without DATABASE_URL.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations", seed: "tsx prisma/seed.ts" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/trunkline" },
});
