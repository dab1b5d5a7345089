import { describe, expect, it } from "vitest";
import { itemLabel, readableValue } from "@/components/admin/audit-values";

describe("audit value summaries", () => {
  const servers = [
    { auth: "password", host: "127.0.0.1", port: 44019, username: "cdr" },
    { auth: "key", host: "127.0.0.1", port: 41263, username: "cdr" },
  ];

  it("counts a list of records and names each by host and port", () => {
    expect(readableValue(servers, "servers")).toBe("2 servers: 127.0.0.1:44019, 127.0.0.1:41263");
    expect(readableValue(servers.slice(0, 1), "servers")).toBe("1 server: 127.0.0.1:44019");
  });

  it("names a few items and counts the rest", () => {
    const decks = ["A", "B", "C", "D", "E"].map((name, index) => ({ id: `d${index}`, name: `Deck ${name}` }));
    expect(readableValue(decks, "rateDecks")).toBe("5 rate decks: Deck A, Deck B, Deck C and 2 more");
  });

  it("reads plain lists and enum codes as words", () => {
    expect(readableValue(["1", "44"], "prefixes")).toBe("1, 44");
    expect(readableValue([], "servers")).toBe("none");
    expect(readableValue("CUSTOMER_USER", "role")).toBe("Customer user");
    expect(readableValue("SOME_NEW_CODE")).toBe("Some new code");
    expect(readableValue("USD")).toBe("USD");
    expect(readableValue(undefined)).toBe("∅");
  });

  it("summarises an object by a few fields and leaves secrets out", () => {
    expect(readableValue({ host: "sftp.example", port: 22, password: "hunter2", privateKeyEnc: "xyz" }, "server")).toBe("host sftp.example, port 22");
    expect(readableValue("hunter2", "password")).toBe("(hidden)");
    expect(itemLabel({ passwordEnc: "xyz", note: "spare" })).toBe("spare");
  });
});
