import { timingSafeEqual } from "node:crypto";
import { lstat, mkdir, open, readdir, rename, rm, rmdir, stat, type FileHandle } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import ssh2 from "ssh2";
import type { Attributes, Connection, ParsedKey, SFTPWrapper } from "ssh2";

/**
 * A real SFTP server on 127.0.0.1 for tests and benchmarks: the ssh2 package's Server with
 * the SFTP subsystem implemented over a local folder (chrooted: "/" and "." are `root`).
 * Password auth, and public-key auth when `publicKey` is given. `stop()` closes the port and
 * drops every connection; `restart()` listens again on the same port, so a test can take a
 * server down and bring it back.
 *
 *   const server = await startSftpServer({ root, username: "cdr", password: "secret" });
 *   // host 127.0.0.1, port server.port
 */

const { Server, utils } = ssh2;
const { STATUS_CODE, flagsToString } = utils.sftp;

export type TSftpServer = {
  port: number;
  host: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** Connections accepted so far (for tests that assert a server was or was not used). */
  connections(): number;
  /** Authentication attempts so far (a client that refused the host key makes none). */
  authAttempts(): number;
  /** Connections still open (for tests that assert a client let go of one). */
  openConnections(): number;
  /**
   * Which requests go unanswered from now on (see `neverAnswer`), so a test can mend a hung
   * server; requests already left unanswered stay so.
   */
  setNeverAnswer(requests: readonly TUnansweredRequest[]): void;
};

export type TSftpServerOptions = {
  root: string;
  username: string;
  password: string;
  /** An OpenSSH public key ("ssh-ed25519 AAAA…") accepted for `username`. */
  publicKey?: string;
  /** Answers a read with at most this many bytes, as SFTP allows a server to (short reads). */
  maxReadBytes?: number;
  port?: number;
  /** The server's own host key (a private key); by default every test server shares one. */
  hostKey?: string;
  /**
   * Requests the server accepts and never answers, as when its storage hangs while the SSH
   * connection stays up: the client must give up by itself. None by default.
   */
  neverAnswer?: readonly TUnansweredRequest[];
  /** Requests the server answers with a failure status ("I/O error"), as when its storage fails. */
  fail?: readonly TFailedRequest[];
  /**
   * Called before the server serves the OPEN or CLOSE of a file (by its remote path), so a test
   * can change the file at that moment, as a carrier still writing it would.
   */
  onFileRequest?: (request: "OPEN" | "CLOSE", remotePath: string) => Promise<void> | void;
  /**
   * "bare": each listing entry's longname is just its name, not an `ls -l` line (SFTP v3 leaves
   * its format to the server). "ls" by default.
   */
  longnames?: "ls" | "bare";
};

/** "SFTP": the subsystem request itself, after the login (the session never becomes SFTP). */
export type TUnansweredRequest = "READ" | "READDIR" | "SFTP";
export type TFailedRequest = "READ";

let hostKey: string | undefined;

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function attributesOf(stats: Awaited<ReturnType<typeof stat>>): Attributes {
  return {
    mode: Number(stats.mode),
    uid: Number(stats.uid),
    gid: Number(stats.gid),
    size: Number(stats.size),
    atime: Math.floor(Number(stats.atimeMs) / 1000),
    mtime: Math.floor(Number(stats.mtimeMs) / 1000),
  };
}

function longnameOf(name: string, stats: Awaited<ReturnType<typeof stat>>): string {
  const type = stats.isDirectory() ? "d" : stats.isSymbolicLink() ? "l" : "-";
  const mode = Number(stats.mode);
  const bits = ["r", "w", "x", "r", "w", "x", "r", "w", "x"].map((flag, index) => (mode & (1 << (8 - index)) ? flag : "-")).join("");
  const date = new Date(Number(stats.mtimeMs)).toUTCString().slice(5, 22);
  return `${type}${bits} 1 sftp sftp ${String(stats.size).padStart(10)} ${date} ${name}`;
}

function statusOf(error: unknown): number {
  const code = (error as { code?: string }).code;
  if (code === "ENOENT") return STATUS_CODE.NO_SUCH_FILE;
  if (code === "EACCES" || code === "EPERM") return STATUS_CODE.PERMISSION_DENIED;
  return STATUS_CODE.FAILURE;
}

type THandle = { kind: "file"; file: FileHandle; remotePath: string } | { kind: "dir"; dir: string; done: boolean };

type TServeOptions = Pick<TSftpServerOptions, "onFileRequest" | "longnames"> & {
  maxReadBytes: number;
  neverAnswer: ReadonlySet<TUnansweredRequest>;
  fail: ReadonlySet<TFailedRequest>;
};

function serveSftp(sftp: SFTPWrapper, root: string, options: TServeOptions): void {
  const { maxReadBytes, neverAnswer } = options;
  const handles = new Map<number, THandle>();
  let nextHandle = 1;
  const toLocal = (remote: string) => {
    const normalized = path.posix.normalize(`/${remote}`);
    return path.join(root, normalized);
  };
  const toRemote = (local: string) => {
    const relative = path.relative(root, local).split(path.sep).join("/");
    return relative === "" ? "/" : `/${relative}`;
  };
  const newHandle = (entry: THandle) => {
    const id = nextHandle++;
    handles.set(id, entry);
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32BE(id);
    return buffer;
  };
  const handleOf = (buffer: Buffer) => (buffer.length === 4 ? handles.get(buffer.readUInt32BE(0)) : undefined);
  const guard = (reqId: number, work: () => Promise<void>) => {
    work().catch((error: unknown) => sftp.status(reqId, statusOf(error), error instanceof Error ? error.message : String(error)));
  };

  sftp
    .on("OPEN", (reqId, filename, flags) =>
      guard(reqId, async () => {
        const mode = flagsToString(flags);
        if (!mode) return void sftp.status(reqId, STATUS_CODE.FAILURE, "unsupported open flags");
        await options.onFileRequest?.("OPEN", filename);
        const file = await open(toLocal(filename), mode);
        sftp.handle(reqId, newHandle({ kind: "file", file, remotePath: filename }));
      }),
    )
    .on("READ", (reqId, handle, offset, length) =>
      guard(reqId, async () => {
        if (neverAnswer.has("READ")) return;
        if (options.fail.has("READ")) return void sftp.status(reqId, STATUS_CODE.FAILURE, "I/O error");
        const entry = handleOf(handle);
        if (entry?.kind !== "file") return void sftp.status(reqId, STATUS_CODE.FAILURE, "bad handle");
        const size = Math.min(length, maxReadBytes);
        const buffer = Buffer.alloc(size);
        const { bytesRead } = await entry.file.read(buffer, 0, size, offset);
        if (bytesRead === 0) return void sftp.status(reqId, STATUS_CODE.EOF);
        sftp.data(reqId, buffer.subarray(0, bytesRead));
      }),
    )
    .on("WRITE", (reqId, handle, offset, data) =>
      guard(reqId, async () => {
        const entry = handleOf(handle);
        if (entry?.kind !== "file") return void sftp.status(reqId, STATUS_CODE.FAILURE, "bad handle");
        await entry.file.write(data, 0, data.length, offset);
        sftp.status(reqId, STATUS_CODE.OK);
      }),
    )
    .on("FSTAT", (reqId, handle) =>
      guard(reqId, async () => {
        const entry = handleOf(handle);
        if (entry?.kind !== "file") return void sftp.status(reqId, STATUS_CODE.FAILURE, "bad handle");
        sftp.attrs(reqId, attributesOf(await entry.file.stat()));
      }),
    )
    .on("CLOSE", (reqId, handle) =>
      guard(reqId, async () => {
        const entry = handleOf(handle);
        if (!entry) return void sftp.status(reqId, STATUS_CODE.FAILURE, "bad handle");
        if (entry.kind === "file") await options.onFileRequest?.("CLOSE", entry.remotePath);
        handles.delete(handle.readUInt32BE(0));
        if (entry.kind === "file") await entry.file.close();
        sftp.status(reqId, STATUS_CODE.OK);
      }),
    )
    .on("OPENDIR", (reqId, dirPath) =>
      guard(reqId, async () => {
        const local = toLocal(dirPath);
        if (!(await stat(local)).isDirectory()) return void sftp.status(reqId, STATUS_CODE.FAILURE, "not a directory");
        sftp.handle(reqId, newHandle({ kind: "dir", dir: local, done: false }));
      }),
    )
    .on("READDIR", (reqId, handle) =>
      guard(reqId, async () => {
        if (neverAnswer.has("READDIR")) return;
        const entry = handleOf(handle);
        if (entry?.kind !== "dir") return void sftp.status(reqId, STATUS_CODE.FAILURE, "bad handle");
        if (entry.done) return void sftp.status(reqId, STATUS_CODE.EOF);
        entry.done = true;
        const names = await readdir(entry.dir);
        const listing = [];
        for (const name of names) {
          const stats = await lstat(path.join(entry.dir, name)).catch(() => null);
          if (stats) listing.push({ filename: name, longname: options.longnames === "bare" ? name : longnameOf(name, stats), attrs: attributesOf(stats) });
        }
        if (listing.length === 0) return void sftp.status(reqId, STATUS_CODE.EOF);
        sftp.name(reqId, listing);
      }),
    )
    .on("STAT", (reqId, filePath) => guard(reqId, async () => void sftp.attrs(reqId, attributesOf(await stat(toLocal(filePath))))))
    .on("LSTAT", (reqId, filePath) => guard(reqId, async () => void sftp.attrs(reqId, attributesOf(await lstat(toLocal(filePath))))))
    .on("REALPATH", (reqId, filePath) =>
      guard(reqId, async () => {
        const local = toLocal(filePath);
        const remote = toRemote(local);
        const stats = await stat(local).catch(() => null);
        sftp.name(reqId, [{ filename: remote, longname: stats ? longnameOf(remote, stats) : remote, attrs: stats ? attributesOf(stats) : ({} as Attributes) }]);
      }),
    )
    .on("RENAME", (reqId, from, to) =>
      guard(reqId, async () => {
        await rename(toLocal(from), toLocal(to));
        sftp.status(reqId, STATUS_CODE.OK);
      }),
    )
    .on("REMOVE", (reqId, filePath) =>
      guard(reqId, async () => {
        const local = toLocal(filePath);
        if ((await lstat(local)).isDirectory()) return void sftp.status(reqId, STATUS_CODE.FAILURE, "is a directory");
        await rm(local);
        sftp.status(reqId, STATUS_CODE.OK);
      }),
    )
    .on("MKDIR", (reqId, dirPath) =>
      guard(reqId, async () => {
        await mkdir(toLocal(dirPath));
        sftp.status(reqId, STATUS_CODE.OK);
      }),
    )
    .on("RMDIR", (reqId, dirPath) =>
      guard(reqId, async () => {
        await rmdir(toLocal(dirPath));
        sftp.status(reqId, STATUS_CODE.OK);
      }),
    )
    .on("SETSTAT", (reqId) => sftp.status(reqId, STATUS_CODE.OK))
    .on("FSETSTAT", (reqId) => sftp.status(reqId, STATUS_CODE.OK))
    .on("end", () => {
      for (const entry of handles.values()) if (entry.kind === "file") void entry.file.close().catch(() => undefined);
      handles.clear();
    });
}

/**
 * An ed25519 key pair from ssh2's generator, which drops a leading zero byte of the public
 * key now and then (~1 in 200): such a pair is unreadable by ssh2 and by OpenSSH alike, so
 * generate again until both halves parse.
 */
export function generateSshKeyPair(): { private: string; public: string } {
  for (;;) {
    const keys = utils.generateKeyPairSync("ed25519");
    if (!(utils.parseKey(keys.private) instanceof Error) && !(utils.parseKey(keys.public) instanceof Error)) return keys;
  }
}

export async function startSftpServer(options: TSftpServerOptions): Promise<TSftpServer> {
  await mkdir(options.root, { recursive: true });
  hostKey ??= generateSshKeyPair().private;
  const ownHostKey = options.hostKey ?? hostKey;
  const allowedKey = options.publicKey ? utils.parseKey(options.publicKey) : null;
  if (allowedKey instanceof Error) throw allowedKey;
  const root = path.resolve(options.root);
  const clients = new Set<Connection>();
  const neverAnswer = new Set(options.neverAnswer ?? []);
  const serveOptions: TServeOptions = {
    maxReadBytes: options.maxReadBytes ?? Number.MAX_SAFE_INTEGER,
    neverAnswer,
    fail: new Set(options.fail ?? []),
    onFileRequest: options.onFileRequest,
    longnames: options.longnames,
  };
  let accepted = 0;
  let authentications = 0;

  const acceptsKey = (key: { algo: string; data: Buffer }): key is { algo: string; data: Buffer } =>
    allowedKey !== null && key.algo === (allowedKey as ParsedKey).type && key.data.equals((allowedKey as ParsedKey).getPublicSSH());

  const createServer = () =>
    new Server({ hostKeys: [ownHostKey] }, (client) => {
      accepted++;
      clients.add(client);
      // Loopback round trips are microseconds; Nagle + delayed ACK would make each ~40 ms.
      (client as Connection & { setNoDelay(noDelay: boolean): void }).setNoDelay(true);
      client
        .on("authentication", (context) => {
          authentications++;
          if (!sameText(context.username, options.username)) return context.reject(["password", "publickey"]);
          if (context.method === "password" && sameText(context.password, options.password)) return context.accept();
          if (context.method === "publickey" && acceptsKey(context.key)) {
            if (!context.signature || !context.blob) return context.accept();
            if ((allowedKey as ParsedKey).verify(context.blob, context.signature, context.hashAlgo) === true) return context.accept();
          }
          context.reject(["password", "publickey"]);
        })
        .on("ready", () => {
          client.on("session", (acceptSession) => {
            const session = acceptSession();
            session.on("sftp", (acceptSftp) => {
              // Left pending: the client waits for an SFTP channel that never opens.
              if (neverAnswer.has("SFTP")) return;
              serveSftp(acceptSftp(), root, serveOptions);
            });
          });
        })
        .on("close", () => clients.delete(client))
        .on("error", () => clients.delete(client));
    });

  let server = createServer();
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.removeListener("error", reject);
        const address = server.address();
        resolve(typeof address === "object" && address ? address.port : port);
      });
    });
  const port = await listen(options.port ?? 0);

  const stop = async () => {
    for (const client of clients) client.end();
    clients.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  return {
    port,
    host: "127.0.0.1",
    stop,
    async restart() {
      await stop();
      server = createServer();
      await listen(port);
    },
    connections: () => accepted,
    authAttempts: () => authentications,
    openConnections: () => clients.size,
    setNeverAnswer(requests) {
      neverAnswer.clear();
      for (const request of requests) neverAnswer.add(request);
    },
  };
}

/**
 * A TCP port that accepts connections and never speaks SSH: a client waiting for the
 * handshake times out, as it does against a hung server or a black-holing firewall.
 */
export async function startSilentServer(): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => sockets.delete(socket));
  });
  const port = await new Promise<number>((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
  return {
    port,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A free TCP port on loopback that nothing listens on (connection refused). */
export async function unusedPort(): Promise<number> {
  const server = net.createServer();
  const port = await new Promise<number>((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
