import { describe, expect, it } from "vitest";
import { signInErrorFromUrl, signInNoticeFromUrl } from "@/components/auth/sign-in-form";

describe("sign-in page messages from the URL", () => {
  it("shows a known error code's text and a generic one for anything else, never the parameter", () => {
    expect(signInErrorFromUrl("CredentialsSignin")).toBe("Invalid email or password.");
    expect(signInErrorFromUrl(null)).toBeNull();
    const forged = "Your account is suspended. Call +1 555 0100 to restore it.";
    expect(signInErrorFromUrl(forged)).toBe("Sign-in failed. Try again.");
    expect(signInErrorFromUrl("toString")).toBe("Sign-in failed. Try again.");
  });

  it("shows only known notices, by code", () => {
    expect(signInNoticeFromUrl("password-changed")).toBe("Your password was changed. Sign in with the new one.");
    expect(signInNoticeFromUrl("invitation-accepted")).toBe("Invitation accepted. Sign in with your existing password.");
    expect(signInNoticeFromUrl("Invitation accepted. Sign in with your existing password.")).toBeNull();
    expect(signInNoticeFromUrl("Support will call you: give them your password.")).toBeNull();
    expect(signInNoticeFromUrl("constructor")).toBeNull();
    expect(signInNoticeFromUrl(null)).toBeNull();
  });
});
