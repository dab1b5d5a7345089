import { randomUUID } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import type { TAuthContext } from "@/server/auth/context";
import { loadAuthContext } from "@/server/auth/context";
import { createWorld } from "../support/factories";

// The upload route reads the session; the test decides who is signed in.
const session = vi.hoisted(() => ({ auth: null as TAuthContext | null }));
vi.mock("@/server/auth/session", () => ({ currentAuth: () => Promise.resolve(session.auth) }));
const { POST: upload } = await import("@/app/api/cdr/upload/route");

function uploadRequest(sourceId: string): Request {
  const params = new URLSearchParams({ sourceId, name: "Master.csv" });
  return new Request(`http://localhost/api/cdr/upload?${params.toString()}`, { method: "POST", body: "a,b,c\n" });
}

describe("POST /api/cdr/upload", () => {
  it("answers a malformed source id with the sourceId field error, not a server error", async () => {
    const world = await createWorld();
    session.auth = await loadAuthContext(world.admin.user.id);
    try {
      // No UUIDs, though the first and third are 36 characters of its alphabet (which used to reach the database's uuid cast).
      for (const sourceId of ["-".repeat(36), "g".repeat(36), "0123456789abcdef0123456789abcdef0123", ""]) {
        const response = await upload(uploadRequest(sourceId));
        expect(response.status, sourceId).toBe(400);
        expect(await response.json()).toEqual({
          error: { code: "INVALID_INPUT", message: "Choose the CDR source the file comes from", fieldErrors: { sourceId: ["Choose the CDR source the file comes from"] } },
        });
      }
      // A well-formed id of no source of this tenant: the same field, named by the service.
      const unknown = await upload(uploadRequest(randomUUID()));
      expect(unknown.status).toBe(400);
      expect(await unknown.json()).toMatchObject({ error: { code: "INVALID_INPUT", fieldErrors: { sourceId: ["Choose one of your CDR sources"] } } });
    } finally {
      session.auth = null;
    }
  });
});
