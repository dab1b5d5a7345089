import { SMTPServer } from "smtp-server";
import { simpleParser } from "mailparser";

export type TReceivedMail = { to: string[]; subject: string; text: string };

/**
 * A real SMTP server on loopback that keeps what it receives. `refuse` lists recipient
 * addresses it answers with a permanent failure (550), as a relay does for one that does not exist.
 */
export async function startSmtpServer(options: { refuse?: string[] } = {}) {
  const received: TReceivedMail[] = [];
  const waiters: Array<() => void> = [];
  const refused = new Set((options.refuse ?? []).map((address) => address.toLowerCase()));
  // Runs when a message has arrived, before the server answers that it accepted it.
  let beforeAccept: ((mail: TReceivedMail) => Promise<void>) | null = null;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    onRcptTo(address, _session, callback) {
      if (refused.has(address.address.toLowerCase())) {
        callback(Object.assign(new Error(`5.1.1 <${address.address}>: no such user`), { responseCode: 550 }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then(async (parsed) => {
          const mail = { to: session.envelope.rcptTo.map((recipient) => recipient.address), subject: parsed.subject ?? "", text: parsed.text ?? "" };
          await beforeAccept?.(mail);
          received.push(mail);
          for (const wake of waiters.splice(0)) wake();
          callback();
        })
        .catch(callback);
    },
  });
  // A client's socket error mid-message reaches the server as an 'error' event; unheard, it
  // would end the test process. The message it carried never arrives, which waitFor reports.
  const socketErrors: Error[] = [];
  server.on("error", (error) => socketErrors.push(error));
  const port = await new Promise<number>((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    /** Sets what runs as each message arrives, before the sender hears it was accepted (null: nothing). */
    beforeAccept(hook: ((mail: TReceivedMail) => Promise<void>) | null): void {
      beforeAccept = hook;
    },
    async waitFor(predicate: (mail: TReceivedMail) => boolean, timeoutMs = 10_000): Promise<TReceivedMail> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = received.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) {
          const errors = socketErrors.length > 0 ? `; socket errors: ${socketErrors.map((error) => error.message).join(", ")}` : "";
          throw new Error(`no matching mail after ${timeoutMs} ms (${received.length} received${errors})`);
        }
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function linkIn(text: string, pathPrefix: string): string {
  const match = text.match(new RegExp(`https?://[^\\s]+${pathPrefix}[A-Za-z0-9_-]+`));
  if (!match) throw new Error(`no ${pathPrefix} link in: ${text}`);
  return match[0];
}
