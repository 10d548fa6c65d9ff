// Overview: the KPI cards (each against the previous period) and revenue over time.
import type { Granularity, Kpis, RevenueSeries } from "../api";
import { Chart } from "../Chart";
import { KpiCard, Panel } from "../components";
import type { Filters } from "../filters";
import { formatDate, formatDecimal, formatInteger, formatMoney, formatMoneyCents, formatMonth } from "../format";
import { useApi } from "../useApi";

const GRANULARITIES: Granularity[] = ["day", "week", "month"];

export function Overview({ filters, onGranularity }: { filters: Filters; onGranularity: (g: Granularity) => void }) {
  const range = { start: filters.start, end: filters.end, country: filters.country };
  const kpis = useApi<Kpis>("kpis", range);
  const revenue = useApi<RevenueSeries>("revenue", { ...range, granularity: filters.granularity });

  return (
    <div className="grid">
      <Panel title="Key figures" data={kpis} wide>
        {(k) => (
          <>
            <p className="muted period">
              {formatDate(k.period.start)} – {formatDate(k.period.end)}, compared with {formatDate(k.previous_period.start)}{" "}
              – {formatDate(k.previous_period.end)}
            </p>
            <div className="kpis">
              <KpiCard label="Revenue" metric={k.revenue} format={formatMoney} />
              <KpiCard label="Orders" metric={k.orders} format={formatInteger} />
              <KpiCard label="Units" metric={k.units} format={formatInteger} />
              <KpiCard label="Average order value" metric={k.average_order_value} format={formatMoneyCents} />
              <KpiCard label="Active customers" metric={k.active_customers} format={formatDecimal} />
            </div>
          </>
        )}
      </Panel>
      <Panel title="Revenue over time" data={revenue} wide>
        {(series) => (
          <>
            <div className="toolbar" role="group" aria-label="Granularity">
              {GRANULARITIES.map((g) => (
                <button
                  key={g}
                  type="button"
                  aria-pressed={filters.granularity === g}
                  onClick={() => onGranularity(g)}
                >
                  {g[0].toUpperCase() + g.slice(1)}
                </button>
              ))}
            </div>
            <Chart
              type="line"
              testId="revenue-chart"
              labels={series.points.map((p) => (series.granularity === "month" ? formatMonth(p.period) : formatDate(p.period)))}
              series={[{ label: "Revenue", values: series.points.map((p) => p.revenue) }]}
              format={formatMoney}
              description={`Revenue per ${series.granularity} from ${formatDate(series.period.start)} to ${formatDate(series.period.end)}: ${formatMoney(series.points.reduce((sum, p) => sum + p.revenue, 0))} in total.`}
            />
          </>
        )}
      </Panel>
    </div>
  );
}
