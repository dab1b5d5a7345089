import { describe, expect, it } from "vitest";
import { csvText } from "@/server/lib/csv";

describe("csvText", () => {
  it("keeps a spreadsheet from evaluating text that starts like a formula", () => {
    expect(csvText('=HYPERLINK("http://evil.test","Call me")')).toBe(`"'=HYPERLINK(""http://evil.test"",""Call me"")"`);
    expect(csvText("+15551234567")).toBe("'+15551234567");
    expect(csvText("-2+3")).toBe("'-2+3");
    expect(csvText("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvText("\t=1+1")).toBe("'\t'=1+1");
  });

  it("does the same where a semicolon-separated or tab-separated reading would start a cell", () => {
    // Excel in a ";" locale splits `…,1;=cmd|' /C calc'!A0,…` at the semicolon: `=cmd…` starts a cell.
    expect(csvText("1;=cmd|' /C calc'!A0")).toBe("1;'=cmd|' /C calc'!A0");
    expect(csvText("a\t+1;@x;-2")).toBe("a\t'+1;'@x;'-2");
    expect(csvText("=1;=2")).toBe("'=1;'=2");
    // A line break inside the value starts a row of its own for such a reading.
    expect(csvText("memo\n=cmd|' /C calc'!A0")).toBe(`"memo\n'=cmd|' /C calc'!A0"`);
    expect(csvText("memo\r\n+1;x\r@y")).toBe(`"memo\r\n'+1;x\r'@y"`);
    // Semicolons, tabs and line breaks before anything else are left as they are.
    expect(csvText("sip:alice;transport=udp")).toBe("sip:alice;transport=udp");
  });

  it("quotes as RFC 4180 and leaves plain text alone", () => {
    expect(csvText("16135550101")).toBe("16135550101");
    expect(csvText('Alice "A" Martin, Ltd')).toBe('"Alice ""A"" Martin, Ltd"');
    expect(csvText("line one\nline two")).toBe('"line one\nline two"');
    expect(csvText(null)).toBe("");
    expect(csvText(undefined)).toBe("");
  });
});
