// Customers: countries, RFM segments and the churn-risk list (paged).
import { useState } from "react";

import type { ChurnPage, Countries, RfmSegments } from "../api";
import { Chart } from "../Chart";
import { DataTable, Pager, Panel } from "../components";
import type { Filters } from "../filters";
import { formatDate, formatDecimal, formatInteger, formatMoney, formatPercent } from "../format";
import { useApi } from "../useApi";

const CHURN_PAGE_SIZE = 20;

export function Customers({ filters }: { filters: Filters }) {
  const countries = useApi<Countries>("countries", { start: filters.start, end: filters.end });
  const segments = useApi<RfmSegments>("segments/rfm", { country: filters.country });
  const [churnPage, setChurnPage] = useState(1);
  const churn = useApi<ChurnPage>("churn-risk", {
    country: filters.country,
    page: churnPage,
    page_size: CHURN_PAGE_SIZE,
  });

  return (
    <div className="grid">
      <Panel title="Countries" data={countries}>
        {(c) => (
          <>
            <Chart
              type="bar"
              testId="countries-chart"
              labels={c.countries.slice(0, 12).map((row) => row.country ?? "(none)")}
              series={[{ label: "Revenue", values: c.countries.slice(0, 12).map((row) => row.revenue) }]}
              format={formatMoney}
              description={`Revenue per country, the ${Math.min(12, c.countries.length)} largest.`}
            />
            <DataTable
              caption="Customers and sales per country"
              rows={c.countries}
              rowKey={(row) => row.country ?? "(none)"}
              columns={[
                { header: "Country", cell: (row) => row.country ?? "(none)" },
                { header: "Customers", cell: (row) => formatInteger(row.customers), numeric: true },
                { header: "Orders", cell: (row) => formatInteger(row.orders), numeric: true },
                { header: "Revenue", cell: (row) => formatMoney(row.revenue), numeric: true },
              ]}
            />
          </>
        )}
      </Panel>
      <Panel title="RFM segments" data={segments}>
        {(s) => (
          <>
            <p className="muted">As of {formatDate(s.as_of)}</p>
            <DataTable
              caption="Customers per RFM segment"
              rows={s.segments}
              rowKey={(row) => row.segment}
              columns={[
                { header: "Segment", cell: (row) => row.segment.replace(/_/g, " ") },
                { header: "Customers", cell: (row) => formatInteger(row.customers), numeric: true },
                { header: "Share", cell: (row) => formatPercent(row.share), numeric: true },
                { header: "Revenue share", cell: (row) => formatPercent(row.revenue_share), numeric: true },
                { header: "Avg. recency (days)", cell: (row) => formatDecimal(row.avg_recency_days), numeric: true },
              ]}
            />
          </>
        )}
      </Panel>
      <Panel title="Churn risk" data={churn} wide>
        {(c) => (
          <>
            <p className="muted">
              Repeat customers silent for more than twice their usual gap between orders, as of {formatDate(c.as_of)}.
            </p>
            <DataTable
              caption="Customers at risk of churning"
              rows={c.customers}
              rowKey={(row) => row.customer_id}
              columns={[
                { header: "Customer", cell: (row) => row.name ?? `#${row.customer_id}` },
                { header: "Country", cell: (row) => row.country ?? "–" },
                { header: "Orders", cell: (row) => formatInteger(row.orders), numeric: true },
                { header: "Revenue", cell: (row) => formatMoney(row.revenue), numeric: true },
                { header: "Last order", cell: (row) => formatDate(row.last_order) },
                { header: "Days silent", cell: (row) => formatInteger(row.days_since_last ?? 0), numeric: true },
              ]}
            />
            <Pager page={c.page} pageSize={c.page_size} total={c.total} onPage={setChurnPage} />
          </>
        )}
      </Panel>
    </div>
  );
}
