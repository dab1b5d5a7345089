// Next.js calls register() once per server process: start the embedded job runner there.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { startBackgroundJobs } = await import("@/server/jobs/bootstrap");
    await startBackgroundJobs();
  }
}
