/**
 * The environment of Trunkline's server process, and of the ingest benchmark's worker, which
 * measures the same pipeline. An operator's own settings win.
 *
 * - glibc gives threads that allocate their own malloc arenas (up to 8 per core) and keeps
 *   what is freed in them: the buffers of a large SFTP download, allocated and freed across
 *   libuv's threads, stayed resident (`npm run bench:ingest`: ~260 MB after the poll, ~220
 *   MB with two arenas). Node runs JavaScript on one thread; two arenas are plenty.
 * - V8 grows its young generation up to two 16 MB semi-spaces when a process allocates fast,
 *   as an ingest does (short-lived records, one per call), and keeps them. With 8 MB the
 *   worker's peak RSS was ~20 MB lower (291 → 271 MB in `bench:ingest`) and its CPU the same.
 */
export function serverProcessEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const nodeOptions = env.NODE_OPTIONS ?? "";
  const merged: Record<string, string | undefined> = {
    MALLOC_ARENA_MAX: "2",
    ...env,
    NODE_OPTIONS: /--max-semi-space-size\b/.test(nodeOptions) ? nodeOptions : `${nodeOptions} --max-semi-space-size=8`.trim(),
  };
  return merged as NodeJS.ProcessEnv;
}
