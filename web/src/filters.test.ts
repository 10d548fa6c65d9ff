import { describe, expect, it } from "vitest";

import { formatFilters, parseFilters } from "./filters";

describe("filters in the URL", () => {
  it("round-trips every filter", () => {
    const search = "?page=customers&start=2024-01-01&end=2024-03-31&country=US&granularity=week";
    expect(formatFilters(parseFilters(search))).toBe(search);
  });

  it("leaves defaults out of the URL", () => {
    expect(formatFilters(parseFilters(""))).toBe("");
    expect(parseFilters("").page).toBe("overview");
    expect(parseFilters("").granularity).toBe("month");
  });

  it("drops malformed values instead of sending them to the API", () => {
    const f = parseFilters("?page=admin&start=0&end=2024-13-45&country=<script>&granularity=year");
    expect(f).toEqual({ page: "overview", start: null, end: null, country: null, granularity: "month" });
  });

  it("orders a reversed range", () => {
    const f = parseFilters("?start=2024-05-01&end=2024-01-01");
    expect([f.start, f.end]).toEqual(["2024-01-01", "2024-05-01"]);
  });
});
