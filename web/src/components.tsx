// The dashboard's building blocks: panels with loading and error states, KPI
// cards, tables and a pager.
import type { ReactNode } from "react";

import type { Metric } from "./api";
import { formatChange } from "./format";
import type { Loadable } from "./useApi";

export function Panel<T>({
  title,
  data,
  children,
  wide = false,
}: {
  title: string;
  data: Loadable<T>;
  children: (value: T) => ReactNode;
  wide?: boolean;
}) {
  const headingId = `panel-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return (
    <section className={wide ? "panel wide" : "panel"} aria-labelledby={headingId} aria-busy={data.state === "loading"}>
      <h2 id={headingId}>{title}</h2>
      {data.state === "loading" && (
        <p className="status" role="status">
          Loading…
        </p>
      )}
      {data.state === "error" && (
        <p className="error" role="alert">
          {data.error.message}
        </p>
      )}
      {data.state === "ready" && children(data.data)}
    </section>
  );
}

export function KpiCard({ label, metric, format }: { label: string; metric: Metric; format: (n: number) => string }) {
  const trend = metric.change === null || metric.change === 0 ? "flat" : metric.change > 0 ? "up" : "down";
  return (
    <div className="kpi" data-testid={`kpi-${label.toLowerCase().replace(/\s+/g, "-")}`}>
      <div className="kpi-label">{label}</div>
      <div className="kpi-value" data-value={metric.value}>
        {format(metric.value)}
      </div>
      <div className={`kpi-change ${trend}`}>
        <span aria-hidden="true">{trend === "up" ? "▲" : trend === "down" ? "▼" : "■"}</span>{" "}
        {formatChange(metric.change)} <span className="muted">vs previous period ({format(metric.previous)})</span>
      </div>
    </div>
  );
}

export interface Column<Row> {
  header: string;
  cell: (row: Row) => ReactNode;
  numeric?: boolean;
}

export function DataTable<Row>({
  caption,
  columns,
  rows,
  rowKey,
}: {
  caption: string;
  columns: Column<Row>[];
  rows: Row[];
  rowKey: (row: Row) => string | number;
}) {
  if (rows.length === 0) return <p className="status">No rows for these filters.</p>;
  return (
    <div className="table-scroll">
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column.header} scope="col" className={column.numeric ? "num" : undefined}>
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)}>
              {columns.map((column) => (
                <td key={column.header} className={column.numeric ? "num" : undefined}>
                  {column.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Pager({
  page,
  pageSize,
  total,
  onPage,
}: {
  page: number;
  pageSize: number;
  total: number;
  onPage: (page: number) => void;
}) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" onClick={() => onPage(page - 1)} disabled={page <= 1}>
        Previous
      </button>
      <span aria-live="polite">
        Page {page} of {pages} ({total} rows)
      </span>
      <button type="button" onClick={() => onPage(page + 1)} disabled={page >= pages}>
        Next
      </button>
    </nav>
  );
}
