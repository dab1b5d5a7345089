import { describe, expect, it } from "vitest";
import { mapFieldErrors } from "@/components/trpc/errors";

describe("mapFieldErrors", () => {
  it("puts each server message on the field the form shows, numbers list entries, and keeps the rest", () => {
    const { inline, rest } = mapFieldErrors(
      {
        "fields.accountNumber": ["Already taken"],
        reason: ["Give a reason"],
        "fields.ipAcl.2": ["Not an IP address"],
        "servers.0.host": ["Unknown host"],
        "fields.somethingHidden": ["Not shown in this form"],
      },
      ["accountNumber", "reason", "ipAcl", "host"],
    );
    expect(inline).toEqual({
      accountNumber: ["Already taken"],
      reason: ["Give a reason"],
      ipAcl: ["Entry 3: Not an IP address"],
      host: ["Unknown host"],
    });
    expect(rest).toEqual(["Not shown in this form"]);
  });
});
