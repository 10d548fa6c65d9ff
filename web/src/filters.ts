// The filters every page shares (date range, country, granularity) and the page
// itself live in the URL query string, so a view can be bookmarked and shared.
// Query-string routing also needs no server-side fallback on any host.

import type { Granularity } from "./api";

export const PAGES = ["overview", "products", "customers", "cohorts", "data"] as const;
export type Page = (typeof PAGES)[number];

export interface Filters {
  page: Page;
  start: string | null;
  end: string | null;
  country: string | null;
  granularity: Granularity;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const COUNTRY = /^[A-Za-z][A-Za-z .'-]{1,63}$/;
const GRANULARITIES: readonly Granularity[] = ["day", "week", "month"];

function isoDate(value: string | null): string | null {
  return value && ISO_DATE.test(value) && !Number.isNaN(Date.parse(value)) ? value : null;
}

/** Parse the query string; anything malformed falls back to the default rather than reaching the API. */
export function parseFilters(search: string): Filters {
  const query = new URLSearchParams(search);
  const page = query.get("page");
  const country = query.get("country");
  const granularity = query.get("granularity") as Granularity | null;
  let start = isoDate(query.get("start"));
  let end = isoDate(query.get("end"));
  if (start && end && start > end) [start, end] = [end, start];
  return {
    page: PAGES.includes(page as Page) ? (page as Page) : "overview",
    start,
    end,
    country: country && COUNTRY.test(country) ? country : null,
    granularity: granularity && GRANULARITIES.includes(granularity) ? granularity : "month",
  };
}

/** The query string for these filters; defaults are left out so URLs stay short. */
export function formatFilters(filters: Filters): string {
  const query = new URLSearchParams();
  if (filters.page !== "overview") query.set("page", filters.page);
  if (filters.start) query.set("start", filters.start);
  if (filters.end) query.set("end", filters.end);
  if (filters.country) query.set("country", filters.country);
  if (filters.granularity !== "month") query.set("granularity", filters.granularity);
  const qs = query.toString();
  return qs ? `?${qs}` : "";
}
