import { createHash } from "node:crypto";
import type { PoolClient } from "pg";
import { describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
import { createCdrSource, updateCdrSource, type TCdrSourceFields } from "@/server/cdr/sources";
import { decryptSecret, encryptSecret } from "@/server/security/secrets";
import { createTenant } from "../support/factories";
import { ACTOR, deliver, withJobRunner } from "./ingest-support";
import { expectStillWaiting } from "../support/waiting";

const runner = withJobRunner();

const HOST_KEY = `SHA256:${"A".repeat(43)}`;


function fields(overrides: Partial<TCdrSourceFields> = {}): TCdrSourceFields {
  return { name: "Carrier feed", format: "csv", timeZone: "UTC", filePattern: "*.csv", servers: [{ host: "sftp.example.test", username: "cdr", password: "old-secret" }], ...overrides };
}

async function sourceWithServer() {
  const tenant = await createTenant();
  const source = await createCdrSource({ tenantId: tenant.id, actor: ACTOR, fields: fields() });
  return { tenantId: tenant.id, source, server: source.servers[0]! };
}

/** Runs `during` inside another connection's open transaction, committed afterwards. */
async function inOtherTransaction(during: (other: PoolClient) => Promise<void>): Promise<void> {
  const other = await pool().connect();
  try {
    await other.query("BEGIN");
    await during(other);
  } finally {
    await other.query("ROLLBACK").catch(() => undefined);
    other.release();
  }
}

/** An edit of the source that keeps its stored password (blank) and changes the poll interval. */
function keepPasswordEdit(tenantId: string, sourceId: string, serverId: string, overrides: Partial<TCdrSourceFields> = {}) {
  return updateCdrSource({
    tenantId,
    actor: ACTOR,
    sourceId,
    fields: fields({ pollIntervalMinutes: 10, servers: [{ id: serverId, host: "sftp.example.test", username: "cdr", password: "" }], ...overrides }),
  });
}

describe("editing a source while something else writes it", () => {
  it("waits for another admin's save and keeps the password it stored, not the one read before", async () => {
    const { tenantId, source, server } = await sourceWithServer();
    await inOtherTransaction(async (other) => {
      // The other admin's save: the source row locked, the new password written, not yet committed.
      await other.query("SELECT id FROM cdr_sources WHERE id = $1::uuid FOR UPDATE", [source.id]);
      await other.query("UPDATE cdr_source_servers SET password_enc = $2 WHERE id = $1::uuid", [server.id, encryptSecret("newer-secret")]);
      const edit = keepPasswordEdit(tenantId, source.id, server.id);
      await expectStillWaiting(edit, other);
      await other.query("COMMIT");
      await edit;
    });
    const stored = await db().cdrSourceServer.findUniqueOrThrow({ where: { id: server.id } });
    expect(decryptSecret(stored.passwordEnc!)).toBe("newer-secret");
    expect((await db().cdrSource.findUniqueOrThrow({ where: { id: source.id } })).pollIntervalMinutes).toBe(10);
  });

  it("keeps a host key a poll learns while the edit is being saved", async () => {
    const { tenantId, source, server } = await sourceWithServer();
    await inOtherTransaction(async (other) => {
      // The poll's first connection learning the key (polling.ts: only while none is known).
      await other.query("UPDATE cdr_source_servers SET host_key = $2 WHERE id = $1::uuid AND host_key IS NULL", [server.id, HOST_KEY]);
      const edit = keepPasswordEdit(tenantId, source.id, server.id);
      await expectStillWaiting(edit, other);
      await other.query("COMMIT");
      await edit;
    });
    expect((await db().cdrSourceServer.findUniqueOrThrow({ where: { id: server.id } })).hostKey).toBe(HOST_KEY);
  });

  it("sees a file arriving meanwhile before changing how the source's files are read", async () => {
    const { tenantId, source, server } = await sourceWithServer();
    await inOtherTransaction(async (other) => {
      // An arrival deciding: the source row share-locked (receiveCdrFile), its file RECEIVED, not yet committed.
      await other.query("SELECT id FROM cdr_sources WHERE id = $1::uuid FOR KEY SHARE", [source.id]);
      await other.query(
        `INSERT INTO cdr_files (tenant_id, source_id, file_name, remote_path, size, sha256, status, ingest_event_sent_at)
         VALUES ($1::uuid, $2::uuid, 'a.csv', '/cdr/a.csv', 1, $3, 'RECEIVED', now())`,
        [tenantId, source.id, createHash("sha256").update("a").digest("hex")],
      );
      const edit = keepPasswordEdit(tenantId, source.id, server.id, { format: "asterisk" });
      await expectStillWaiting(edit, other);
      await other.query("COMMIT");
      await expect(edit).rejects.toMatchObject({ code: "INVALID_INPUT", fieldErrors: { format: [expect.stringMatching(/^Calls of this source are stored/)] } });
    });
    expect((await db().cdrSource.findUniqueOrThrow({ where: { id: source.id } })).format).toBe("csv");
  });

  it("makes an arrival wait for an edit of its source in progress", async () => {
    const { tenantId, source } = await sourceWithServer();
    await inOtherTransaction(async (other) => {
      await other.query("SELECT id FROM cdr_sources WHERE id = $1::uuid FOR UPDATE", [source.id]);
      const arrival = deliver({ tenantId, sourceId: source.id, name: "b.csv", content: "callee,start,billsec\n" });
      await expectStillWaiting(arrival, other);
      await other.query("COMMIT");
      expect((await arrival).status).toBe("RECEIVED");
    });
    await runner.drain();
  });
});
