// Cohorts: monthly retention as a heatmap table (a table reads well with a screen reader too).
import type { Cohorts as CohortsData } from "../api";
import { Panel } from "../components";
import type { Filters } from "../filters";
import { formatInteger, formatMonth, formatPercent } from "../format";
import { useApi } from "../useApi";

export function Cohorts({ filters }: { filters: Filters }) {
  const cohorts = useApi<CohortsData>("cohorts", { start: filters.start, end: filters.end });
  return (
    <div className="grid">
      <Panel title="Cohort retention" data={cohorts} wide>
        {(data) => {
          const width = Math.max(0, ...data.cohorts.map((c) => c.months.length));
          if (data.cohorts.length === 0) return <p className="status">No cohorts for these dates.</p>;
          return (
            <div className="table-scroll">
              <table className="heatmap" data-testid="cohort-heatmap">
                <caption className="visually-hidden">
                  Share of each monthly cohort that ordered again N months after its first order
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Cohort</th>
                    <th scope="col" className="num">
                      Customers
                    </th>
                    {Array.from({ length: width }, (_, offset) => (
                      <th key={offset} scope="col" className="num">
                        M{offset}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {data.cohorts.map((cohort) => (
                    <tr key={cohort.cohort_month}>
                      <th scope="row">{formatMonth(cohort.cohort_month)}</th>
                      <td className="num">{formatInteger(cohort.customers)}</td>
                      {cohort.months.map((cell) => (
                        <td
                          key={cell.month_offset}
                          className="num cell"
                          style={{ "--level": Math.min(1, cell.retention) } as React.CSSProperties}
                        >
                          {formatPercent(cell.retention)}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          );
        }}
      </Panel>
    </div>
  );
}
