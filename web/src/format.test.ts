import { describe, expect, it } from "vitest";

import { formatChange, formatDate } from "./format";

describe("formatting", () => {
  it("signs changes and says n/a when the previous period was zero", () => {
    expect(formatChange(null)).toBe("n/a");
    expect(formatChange(0.125)).toMatch(/^\+12\.5\s?%$/);
    expect(formatChange(-0.5)).toMatch(/^-50\s?%$/);
  });

  it("never shifts an ISO date across time zones", () => {
    expect(formatDate("2024-01-01", { year: "numeric", month: "2-digit", day: "2-digit" })).toContain("2024");
    expect(formatDate(null)).toBe("–");
  });
});
