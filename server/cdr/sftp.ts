import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import path from "node:path/posix";
import type { SFTPWrapper } from "ssh2";
import SftpClient from "ssh2-sftp-client";
import { globToRegExp, type TServerCredentials } from "./sources";

/**
 * A thin wrapper over ssh2-sftp-client for polling: connect with a timeout, list a folder
 * through the source's glob, download, then move or delete. Connection failures are
 * classified so the poller knows when to roll over to the next server and the outage log
 * says why in words.
 */

export type TConnectFailureKind = "REFUSED" | "AUTH" | "TIMEOUT" | "HOST_NOT_FOUND" | "UNREACHABLE" | "PROTOCOL" | "HOST_KEY";

export class SftpConnectError extends Error {
  override name = "SftpConnectError";
  constructor(
    readonly kind: TConnectFailureKind,
    message: string,
    options?: { cause?: unknown; presentedHostKey?: string },
  ) {
    super(message, options);
    this.presentedHostKey = options?.presentedHostKey ?? null;
  }

  /** For HOST_KEY: the fingerprint of the key the server presented instead of the known one. */
  readonly presentedHostKey: string | null;
}

/** An SSH host key's fingerprint as OpenSSH prints it: "SHA256:" and the unpadded base64 of its SHA-256. */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

export type TRemoteFile = { name: string; remotePath: string; size: number; modifiedAt: Date };

/** What a download wrote: its size and the sha256 of its content (hex). */
export type TDownloadedContent = { size: number; sha256: string };

/** Bytes per SFTP read request, and how many are in flight at once. */
const READ_BYTES = 64 * 1024;
const READS_IN_FLIGHT = 32;

export const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A connection error, in words an operator can act on. */
export function classifyConnectError(error: unknown, target: string): SftpConnectError {
  const code = codeOf(error);
  const message = messageOf(error);
  if (code === "ECONNREFUSED" || /refused/i.test(message)) {
    return new SftpConnectError("REFUSED", `Connection refused by ${target}: nothing listens on that port (server down or wrong port)`, { cause: error });
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || /lookup failed|getaddrinfo/i.test(message)) {
    return new SftpConnectError("HOST_NOT_FOUND", `Host not found: ${target} does not resolve (check the host name)`, { cause: error });
  }
  if (/authentication methods failed|auth/i.test(message) || code === "ERR_BAD_AUTH") {
    return new SftpConnectError("AUTH", `Authentication failed on ${target}: the server rejected the username and password or key`, { cause: error });
  }
  if (code === "ETIMEDOUT" || /timed out|timeout/i.test(message)) {
    return new SftpConnectError("TIMEOUT", `Timed out connecting to ${target}: no SSH handshake in time (server overloaded, firewall, or wrong port)`, { cause: error });
  }
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH" || code === "ECONNRESET") {
    return new SftpConnectError("UNREACHABLE", `${target} is unreachable (${code}): ${message}`, { cause: error });
  }
  return new SftpConnectError("PROTOCOL", `Could not open an SFTP session on ${target}: ${message}`, { cause: error });
}

export function serverLabel(server: { host: string; port: number }): string {
  return server.host.includes(":") ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}

export class SftpSession {
  private constructor(
    private readonly client: SftpClient,
    private readonly sftp: SFTPWrapper,
    readonly label: string,
    /** The fingerprint of the host key the server presented. */
    readonly hostKey: string,
  ) {}

  /**
   * Connects or throws an {@link SftpConnectError}. A server whose host key is known must
   * present that key (HOST_KEY otherwise, before any password is sent); a server met for the
   * first time may present any, and {@link hostKey} says which.
   */
  static async connect(server: TServerCredentials, options: { timeoutMs?: number } = {}): Promise<SftpSession> {
    // Errors outside an operation (a dropped idle connection) surface in the next call; the
    // library's default handlers would only print them.
    const quiet = () => undefined;
    const client = new SftpClient("trunkline-cdr", { error: quiet, end: quiet, close: quiet });
    // SFTP is many small request/response round trips: Nagle's algorithm with delayed ACKs
    // adds ~40 ms to each. The wrapper does not expose the option, its ssh2 client does.
    const transport = (client as unknown as { client: { setNoDelay(noDelay: boolean): void } }).client;
    client.on("connect", () => transport.setNoDelay(true));
    const label = serverLabel(server);
    const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    // ssh2's readyTimeout covers the handshake; the TCP connect itself is covered by the guard below.
    let timer: NodeJS.Timeout | undefined;
    const guard = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })), timeoutMs + 1000);
    });
    let sftp: SFTPWrapper;
    let presented: string | null = null;
    try {
      sftp = await Promise.race([
        client.connect({
          host: server.host,
          port: server.port,
          username: server.username,
          ...(server.privateKey ? { privateKey: server.privateKey } : { password: server.password ?? "" }),
          readyTimeout: timeoutMs,
          // ssh2's own default set, AES-GCM first: OpenSSL runs it in hardware, ~1.7x the
          // throughput of its chacha20 on large CDR files.
          algorithms: {
            cipher: ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr", "chacha20-poly1305@openssh.com"],
          },
          // Fail over fast: the next server is tried by the poller, not by the client.
          retries: 0,
          tryKeyboard: false,
          // Checked during the key exchange, before authentication: a server with another
          // key never sees the password.
          hostVerifier: (key: Buffer) => {
            presented = hostKeyFingerprint(key);
            return server.hostKey === null || presented === server.hostKey;
          },
        }),
        guard,
      ]);
    } catch (error) {
      await client.end().catch(() => undefined);
      if (presented !== null && server.hostKey !== null && presented !== server.hostKey) {
        throw new SftpConnectError(
          "HOST_KEY",
          `Host key of ${label} changed: it presented ${presented}, not the known ${server.hostKey}. Someone may be intercepting the ` +
            "connection (no password was sent), or the carrier replaced the server's key: accept the new key once the carrier confirms it.",
          { cause: error, presentedHostKey: presented },
        );
      }
      throw classifyConnectError(error, label);
    } finally {
      clearTimeout(timer);
    }
    if (presented === null) {
      await client.end().catch(() => undefined);
      throw new SftpConnectError("PROTOCOL", `${label} completed no key exchange`);
    }
    return new SftpSession(client, sftp, label, presented);
  }

  /** Regular files of `remoteDir` whose names match the glob, oldest first. */
  async list(remoteDir: string, filePattern: string): Promise<TRemoteFile[]> {
    const matcher = globToRegExp(filePattern);
    const entries = await this.client.list(remoteDir);
    return entries
      .filter((entry) => entry.type === "-" && matcher.test(entry.name))
      .map((entry) => ({
        name: entry.name,
        remotePath: path.join(remoteDir, entry.name),
        size: entry.size,
        modifiedAt: new Date(entry.modifyTime),
      }))
      .sort((a, b) => a.modifiedAt.getTime() - b.modifiedAt.getTime() || a.name.localeCompare(b.name));
  }

  /**
   * Copies a remote file to `localPath` and hashes it on the way. `READS_IN_FLIGHT` read
   * requests are outstanding at once and their chunks are written as they come (fast on
   * high-latency links, as ssh2's fastGet), but they are hashed in file order, so the hash
   * needs no second pass over the file (~0.3 s per 276 MB here). The request buffers are
   * reused, so a large file leaves no garbage behind.
   */
  async download(remotePath: string, localPath: string): Promise<TDownloadedContent> {
    const sftp = this.sftp;
    const handle = await new Promise<Buffer>((resolve, reject) => sftp.open(remotePath, "r", (error, opened) => (error ? reject(error) : resolve(opened))));
    const readAt = (buffer: Buffer, length: number, position: number) =>
      new Promise<number>((resolve, reject) => sftp.read(handle, buffer, 0, length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead))));
    const output = await open(localPath, "w");
    const hash = createHash("sha256");
    // Requests in file order; a buffer goes back to the queue once its chunk is written.
    const pending: { buffer: Buffer; position: number; read: Promise<number> }[] = [];
    const writes = new Set<Promise<void>>();
    let writeError: unknown = null;
    let nextPosition = 0;
    let size = 0;
    let ended = false;
    const request = (buffer: Buffer) => {
      const read = readAt(buffer, READ_BYTES, nextPosition);
      // Taken in order: one failing while an earlier one is awaited is not unhandled.
      read.catch(() => undefined);
      pending.push({ buffer, position: nextPosition, read });
      nextPosition += READ_BYTES;
    };
    try {
      for (let slot = 0; slot < READS_IN_FLIGHT; slot++) request(Buffer.allocUnsafeSlow(READ_BYTES));
      for (;;) {
        if (writeError !== null) throw writeError;
        const chunk = pending.shift();
        if (chunk === undefined) {
          if (ended || writes.size === 0) break;
          await Promise.race(writes); // a buffer comes back when its write is done
          continue;
        }
        let filled = await chunk.read;
        // A server may answer with less than asked before the end: the rest of the chunk is
        // read before anything after it is used.
        while (filled > 0 && filled < READ_BYTES) {
          const more = await readAt(chunk.buffer.subarray(filled), READ_BYTES - filled, chunk.position + filled);
          if (more === 0) break;
          filled += more;
        }
        if (filled < READ_BYTES) ended = true;
        if (filled > 0) {
          hash.update(chunk.buffer.subarray(0, filled));
          size += filled;
          const write: Promise<void> = output.write(chunk.buffer, 0, filled, chunk.position).then(
            () => {
              writes.delete(write);
              if (!ended) request(chunk.buffer);
            },
            (error: unknown) => {
              writes.delete(write);
              writeError ??= error;
            },
          );
          writes.add(write);
        }
        if (ended) {
          // Replies past the end carry nothing, but their buffers must not be reused while
          // they are outstanding.
          for (const outstanding of pending.splice(0)) {
            if ((await outstanding.read) > 0) throw new Error(`${remotePath} changed while it was read`);
          }
        }
      }
      await Promise.all(writes);
      if (writeError !== null) throw writeError;
    } finally {
      await Promise.allSettled([...writes, ...pending.map((outstanding) => outstanding.read)]);
      await output.close();
      await new Promise<void>((resolve) => sftp.close(handle, () => resolve()));
    }
    return { size, sha256: hash.digest("hex") };
  }

  /** Moves a processed file into `processedDir` (created if missing). Returns the new path. */
  async moveTo(remotePath: string, processedDir: string): Promise<string> {
    if (!(await this.client.exists(processedDir))) await this.client.mkdir(processedDir, true);
    const target = path.join(processedDir, path.basename(remotePath));
    // SFTP v3 servers refuse to rename over an existing file: a carrier re-delivering a name
    // would block the folder forever. Keep both, the later one suffixed.
    const free = (await this.client.exists(target)) ? `${target}.${new Date().toISOString().replace(/[:.]/g, "")}` : target;
    await this.client.rename(remotePath, free);
    return free;
  }

  async delete(remotePath: string): Promise<void> {
    await this.client.delete(remotePath);
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
