// Products: the best sellers in the period and sales per category.
import type { Categories, TopProducts } from "../api";
import { Chart } from "../Chart";
import { DataTable, Panel } from "../components";
import type { Filters } from "../filters";
import { formatInteger, formatMoney } from "../format";
import { useApi } from "../useApi";

export function Products({ filters }: { filters: Filters }) {
  const range = { start: filters.start, end: filters.end };
  const top = useApi<TopProducts>("products/top", { ...range, limit: 10 });
  const categories = useApi<Categories>("categories", range);

  return (
    <div className="grid">
      <Panel title="Top products by revenue" data={top} wide>
        {(t) => (
          <>
            <Chart
              type="bar"
              horizontal
              testId="top-products-chart"
              labels={t.products.map((p) => p.name ?? `#${p.product_id}`)}
              series={[{ label: "Revenue", values: t.products.map((p) => p.revenue) }]}
              format={formatMoney}
              description={`The ${t.products.length} best-selling products by revenue.`}
            />
            <DataTable
              caption="Top products"
              rows={t.products}
              rowKey={(p) => p.product_id}
              columns={[
                { header: "Product", cell: (p) => p.name ?? `#${p.product_id}` },
                { header: "Category", cell: (p) => p.category ?? "–" },
                { header: "Orders", cell: (p) => formatInteger(p.orders), numeric: true },
                { header: "Units", cell: (p) => formatInteger(p.units), numeric: true },
                { header: "Revenue", cell: (p) => formatMoney(p.revenue), numeric: true },
              ]}
            />
          </>
        )}
      </Panel>
      <Panel title="Categories" data={categories} wide>
        {(c) => (
          <DataTable
            caption="Sales per category"
            rows={c.categories}
            rowKey={(row) => row.category ?? "(none)"}
            columns={[
              { header: "Category", cell: (row) => row.category ?? "(none)" },
              { header: "Products", cell: (row) => formatInteger(row.products), numeric: true },
              { header: "Orders", cell: (row) => formatInteger(row.orders), numeric: true },
              { header: "Units", cell: (row) => formatInteger(row.units), numeric: true },
              { header: "Revenue", cell: (row) => formatMoney(row.revenue), numeric: true },
            ]}
          />
        )}
      </Panel>
    </div>
  );
}
