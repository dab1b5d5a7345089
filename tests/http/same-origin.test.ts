import { describe, expect, it, vi } from "vitest";

// The refusal must come before the session is read; a session read would fail the test.
const currentAuth = vi.hoisted(() => vi.fn(async () => null));
vi.mock("@/server/auth/session", () => ({ currentAuth }));

const { assertSameOrigin, CROSS_ORIGIN_REFUSED } = await import("@/server/http/same-origin");
const upload = await import("@/app/api/cdr/upload/route");
const deckImports = await import("@/app/api/decks/[deckId]/imports/route");
const trpc = await import("@/app/api/trpc/[trpc]/route");

const APP = "http://localhost:3000";

function request(method: string, headers: Record<string, string>, url = `${APP}/api/x`) {
  return new Request(url, { method, headers, body: method === "GET" ? undefined : "{}" });
}

describe("assertSameOrigin", () => {
  it("lets a same-origin browser request through", () => {
    expect(() => assertSameOrigin(request("POST", { origin: APP, "sec-fetch-site": "same-origin" }), APP)).not.toThrow();
    expect(() => assertSameOrigin(request("DELETE", { "sec-fetch-site": "same-origin" }), APP)).not.toThrow();
  });

  it("refuses another origin, a look-alike, the null origin and a cross-site fetch without Origin", () => {
    const refusals: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { origin: "http://localhost:3001" },
      { origin: "http://localhost:3000.evil.example" },
      { origin: "null" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
    ];
    for (const headers of refusals) {
      for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
        expect(() => assertSameOrigin(request(method, headers), APP), `${method} ${JSON.stringify(headers)}`).toThrow(CROSS_ORIGIN_REFUSED);
      }
    }
  });

  it("leaves reads alone, and non-browser clients (neither header) through", () => {
    expect(() => assertSameOrigin(request("GET", { origin: "https://evil.example" }), APP)).not.toThrow();
    expect(() => assertSameOrigin(request("POST", {}), APP)).not.toThrow();
  });
});

describe("routes that change state refuse cross-site requests", () => {
  const evil = { origin: "https://evil.example", "sec-fetch-site": "cross-site" };

  it("CDR upload", async () => {
    const response = await upload.POST(request("POST", evil, `${APP}/api/cdr/upload?sourceId=x`));
    expect(response.status).toBe(403);
    expect(currentAuth).not.toHaveBeenCalled();
  });

  it("deck import", async () => {
    const response = await deckImports.POST(request("POST", evil, `${APP}/api/decks/d/imports`), { params: Promise.resolve({ deckId: "d" }) });
    expect(response.status).toBe(403);
    expect(currentAuth).not.toHaveBeenCalled();
  });

  it("tRPC mutations, with tRPC's error shape; same-origin ones reach the procedure", async () => {
    // As JSON: tRPC already turns away the form encodings a cross-site form can post.
    const refused = await trpc.POST(request("POST", { ...evil, "content-type": "application/json" }, `${APP}/api/trpc/me.updateProfile`));
    expect(refused.status).toBe(403);
    expect(JSON.stringify(await refused.json())).toContain(CROSS_ORIGIN_REFUSED);
    expect(currentAuth).not.toHaveBeenCalled();

    const sameOrigin = await trpc.POST(request("POST", { origin: APP, "content-type": "application/json" }, `${APP}/api/trpc/me.updateProfile`));
    // No session: the procedure itself says so, so the origin check let it through.
    expect(sameOrigin.status).toBe(401);
    expect(currentAuth).toHaveBeenCalled();
  });
});
