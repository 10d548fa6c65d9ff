import { describe, expect, it } from "vitest";

import { apiUrl, errorFrom } from "./api";

describe("api client", () => {
  it("builds URLs under /api/v1 without empty parameters", () => {
    expect(apiUrl("kpis", { start: "2024-01-01", end: null, country: undefined, limit: 10 })).toBe(
      "/api/v1/kpis?start=2024-01-01&limit=10",
    );
    expect(apiUrl("datasets")).toBe("/api/v1/datasets");
  });

  it("surfaces the API's JSON error message", async () => {
    const response = new Response(
      JSON.stringify({ error: "invalid_rows", message: "2 rows are invalid", problems: [{ message: "bad date" }] }),
      { status: 422, statusText: "Unprocessable Entity", headers: { "content-type": "application/json" } },
    );
    const error = await errorFrom(response);
    expect(error.status).toBe(422);
    expect(error.code).toBe("invalid_rows");
    expect(error.message).toBe("2 rows are invalid: bad date");
  });

  it("falls back to the status line for a non-JSON error page", async () => {
    const error = await errorFrom(new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }));
    expect(error.message).toBe("502 Bad Gateway");
  });
});
