// The shell: navigation, the shared filters (kept in the URL) and the current page.
import { type FormEvent, useEffect, useState } from "react";

import type { Granularity } from "./api";
import { type Filters, formatFilters, type Page, PAGES, parseFilters } from "./filters";
import { Cohorts } from "./pages/Cohorts";
import { Customers } from "./pages/Customers";
import { Data } from "./pages/Data";
import { Overview } from "./pages/Overview";
import { Products } from "./pages/Products";

const TITLES: Record<Page, string> = {
  overview: "Overview",
  products: "Products",
  customers: "Customers",
  cohorts: "Cohorts",
  data: "Data",
};

// Pages whose figures the API can filter by country (products and cohorts it cannot).
const COUNTRY_PAGES = new Set<Page>(["overview", "customers"]);

function useFilters(): [Filters, (next: Filters) => void] {
  const [filters, setFilters] = useState(() => parseFilters(window.location.search));
  useEffect(() => {
    const onPop = () => setFilters(parseFilters(window.location.search));
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const update = (next: Filters) => {
    window.history.pushState(null, "", `${window.location.pathname}${formatFilters(next)}`);
    setFilters(next);
  };
  return [filters, update];
}

function FilterBar({ filters, onChange }: { filters: Filters; onChange: (next: Filters) => void }) {
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? "").trim() || null;
    const parsed = parseFilters(
      formatFilters({
        ...filters,
        start: text("start"),
        end: text("end"),
        country: form.has("country") ? text("country") : filters.country,
      }),
    );
    onChange({ ...filters, start: parsed.start, end: parsed.end, country: parsed.country });
  }
  return (
    <form className="filters" onSubmit={submit} aria-label="Filters" key={formatFilters(filters)}>
      <label>
        From <input type="date" name="start" defaultValue={filters.start ?? ""} />
      </label>
      <label>
        To <input type="date" name="end" defaultValue={filters.end ?? ""} />
      </label>
      {COUNTRY_PAGES.has(filters.page) && (
        <label>
          Country{" "}
          <input name="country" placeholder="all" size={6} maxLength={64} defaultValue={filters.country ?? ""} />
        </label>
      )}
      <button type="submit">Apply</button>
      <button type="button" onClick={() => onChange({ ...filters, start: null, end: null, country: null })}>
        Reset
      </button>
    </form>
  );
}

export function App() {
  const [filters, setFilters] = useFilters();
  const go = (page: Page) => setFilters({ ...filters, page });
  const setGranularity = (granularity: Granularity) => setFilters({ ...filters, granularity });

  useEffect(() => {
    document.title = `${TITLES[filters.page]} · Shop Analytics`;
  }, [filters.page]);

  return (
    <>
      <header className="top">
        <h1>Shop Analytics</h1>
        <nav aria-label="Pages">
          {PAGES.map((page) => (
            <a
              key={page}
              href={formatFilters({ ...filters, page }) || "?"}
              aria-current={filters.page === page ? "page" : undefined}
              onClick={(event) => {
                event.preventDefault();
                go(page);
              }}
            >
              {TITLES[page]}
            </a>
          ))}
        </nav>
      </header>
      {filters.page !== "data" && <FilterBar filters={filters} onChange={setFilters} />}
      <main>
        {filters.page === "overview" && <Overview filters={filters} onGranularity={setGranularity} />}
        {filters.page === "products" && <Products filters={filters} />}
        {filters.page === "customers" && <Customers filters={filters} />}
        {filters.page === "cohorts" && <Cohorts filters={filters} />}
        {filters.page === "data" && <Data />}
      </main>
    </>
  );
}
