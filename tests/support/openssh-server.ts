import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import os from "node:os";
import path from "node:path";
import { unusedPort } from "./sftp-server";

/**
 * OpenSSH's sshd (Debian's openssh-server) on 127.0.0.1 and a free port, serving SFTP to
 * the current user with a generated key: a real server in its own process, for the
 * ingest benchmark (the in-process ssh2 server shares the benchmark's CPU and is far
 * slower). Null when sshd is not installed.
 */

export const SSHD_PATH = "/usr/sbin/sshd";

export type TOpenSshServer = { port: number; username: string; privateKey: string; stop(): Promise<void> };

async function waitForPort(port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`sshd did not listen on port ${port}`);
}

export async function startOpenSshServer(): Promise<TOpenSshServer | null> {
  if (!existsSync(SSHD_PATH)) return null;
  const folder = mkdtempSync(path.join(os.tmpdir(), "trunkline-sshd-"));
  const hostKey = path.join(folder, "host_ed25519");
  const clientKey = path.join(folder, "client_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", clientKey]);
  const authorizedKeys = path.join(folder, "authorized_keys");
  writeFileSync(authorizedKeys, readFileSync(`${clientKey}.pub`), { mode: 0o600 });
  // sshd's privilege separation directory.
  mkdirSync("/run/sshd", { recursive: true });
  const port = await unusedPort();
  const config = path.join(folder, "sshd_config");
  writeFileSync(
    config,
    [
      `ListenAddress 127.0.0.1`,
      `Port ${port}`,
      `HostKey ${hostKey}`,
      `PidFile ${path.join(folder, "sshd.pid")}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      `PasswordAuthentication no`,
      `KbdInteractiveAuthentication no`,
      `PubkeyAuthentication yes`,
      `PermitRootLogin prohibit-password`,
      `StrictModes no`,
      `UsePAM no`,
      `Subsystem sftp internal-sftp`,
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(SSHD_PATH, ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  try {
    await waitForPort(port, Date.now() + 10_000);
  } catch (error) {
    child.kill();
    throw new Error(`${(error as Error).message}: ${log}`);
  }
  return {
    port,
    username: os.userInfo().username,
    privateKey: readFileSync(clientKey, "utf8"),
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
