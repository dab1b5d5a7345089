import path from "node:path/posix";
import SftpClient from "ssh2-sftp-client";
import { globToRegExp, type TServerCredentials } from "./sources";

/**
 * A thin wrapper over ssh2-sftp-client for polling: connect with a timeout, list a folder
 * through the source's glob, download, then move or delete. Connection failures are
 * classified so the poller knows when to roll over to the next server and the outage log
 * says why in words.
 */

export type TConnectFailureKind = "REFUSED" | "AUTH" | "TIMEOUT" | "HOST_NOT_FOUND" | "UNREACHABLE" | "PROTOCOL";

export class SftpConnectError extends Error {
  override name = "SftpConnectError";
  constructor(
    readonly kind: TConnectFailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type TRemoteFile = { name: string; remotePath: string; size: number; modifiedAt: Date };

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
    readonly label: string,
  ) {}

  /** Connects or throws an {@link SftpConnectError}. */
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
    try {
      await Promise.race([
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
        }),
        guard,
      ]);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw classifyConnectError(error, label);
    } finally {
      clearTimeout(timer);
    }
    return new SftpSession(client, label);
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

  /** Copies a remote file to `localPath` with parallel reads (fast on high-latency links). */
  async download(remotePath: string, localPath: string): Promise<void> {
    await this.client.fastGet(remotePath, localPath, { concurrency: 32, chunkSize: 64 * 1024 });
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
