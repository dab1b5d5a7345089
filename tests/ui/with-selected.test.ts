import { describe, expect, it } from "vitest";
import { withSelected } from "@/components/ui/with-selected";

const byValue = (option: { value: string }) => option.value;

describe("withSelected", () => {
  it("puts the selected item first when the list lacks it, and otherwise leaves the list as it is", () => {
    const options = [
      { value: "a", label: "Alpha" },
      { value: "b", label: "Bravo" },
    ];
    expect(withSelected(options, { value: "z", label: "Zulu (not listed)" }, byValue)).toEqual([{ value: "z", label: "Zulu (not listed)" }, ...options]);
    expect(withSelected(options, { value: "b", label: "another label" }, byValue)).toEqual(options);
    expect(withSelected(options, null, byValue)).toEqual(options);
    expect(withSelected([], { value: "z", label: "Loading…" }, byValue)).toEqual([{ value: "z", label: "Loading…" }]);
  });
});
