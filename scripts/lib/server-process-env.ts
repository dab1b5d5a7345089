/**
 * The environment of Trunkline's server process, and of the ingest benchmark's worker, which
 * measures the same pipeline. glibc gives threads that allocate their own malloc arenas (up
 * to 8 per core) and keeps what is freed in them: the buffers of a large SFTP download,
 * allocated and freed across libuv's threads, stayed resident (`npm run bench:ingest`: ~260
 * MB after the poll, ~220 MB with two arenas). Node runs JavaScript on one thread; two
 * arenas are plenty. An operator's own setting wins.
 */
export function serverProcessEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const merged: Record<string, string | undefined> = { MALLOC_ARENA_MAX: "2", ...env };
  return merged as NodeJS.ProcessEnv;
}
