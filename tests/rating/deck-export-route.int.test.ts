import { describe, expect, it, vi } from "vitest";
import type { TAuthContext } from "@/server/auth/context";
import { loadAuthContext } from "@/server/auth/context";
import { saveDeck } from "@/server/rating/decks";
import { createWorld } from "../support/factories";

// The route reads the session; the test decides who is signed in.
const session = vi.hoisted(() => ({ auth: null as TAuthContext | null }));
vi.mock("@/server/auth/session", () => ({ currentAuth: () => Promise.resolve(session.auth) }));

const { GET: exportDeck } = await import("@/app/api/decks/[deckId]/export/route");

const download = (deckId: string) => exportDeck(new Request(`http://localhost:3000/api/decks/${deckId}/export`), { params: Promise.resolve({ deckId }) });

describe("GET /api/decks/[deckId]/export", () => {
  it("streams the tenant's own deck, answers 404 for another tenant's and 400 for an id that is not one", async () => {
    const world = await createWorld();
    const other = await createWorld();
    const actor = { userId: null, email: "test", ip: null };
    const deck = await saveDeck({ tenantId: world.tenant.id, actor, fields: { name: "Retail voice", kind: "SELL" } });
    const theirs = await saveDeck({ tenantId: other.tenant.id, actor, fields: { name: "Theirs", kind: "SELL" } });
    session.auth = await loadAuthContext(world.admin.user.id);

    const own = await download(deck.id);
    expect(own.status).toBe(200);
    expect(own.headers.get("content-disposition")).toContain("Retail-voice.csv");
    expect((await own.text()).split("\n")[0]).toMatch(/prefix/i);
    expect((await download(theirs.id)).status).toBe(404);
    expect((await download("not-a-uuid")).status).toBe(400);
  });
});
