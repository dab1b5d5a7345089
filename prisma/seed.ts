// `prisma db seed` entry point (prisma.config.ts); `npm run db:seed` does the same.
import { db, disconnect } from "@/server/db/client";
import { seedDemo } from "@/server/db/seed";

const result = await seedDemo(db());
console.log(result.created ? "Seeded the demo tenant." : "Demo tenant already present.");
await disconnect();
