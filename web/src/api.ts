// A typed client for the analytics API (/api/v1). Every call resolves to data or
// throws an ApiError carrying the API's own JSON error message, so pages can show
// exactly what the server said.

export interface Range {
  start: string;
  end: string;
}

export interface Metric {
  value: number;
  previous: number;
  change: number | null;
}

export interface Kpis {
  period: Range;
  previous_period: Range;
  country: string | null;
  revenue: Metric;
  orders: Metric;
  units: Metric;
  average_order_value: Metric;
  active_customers: Metric;
}

export interface RevenuePoint {
  period: string;
  orders: number;
  units: number;
  revenue: number;
}

export interface RevenueSeries {
  granularity: Granularity;
  period: Range;
  points: RevenuePoint[];
}

export interface ProductRank {
  product_id: number;
  name: string | null;
  category: string | null;
  orders: number;
  units: number;
  revenue: number;
}

export interface TopProducts {
  period: Range;
  products: ProductRank[];
}

export interface Category {
  category: string | null;
  products: number;
  orders: number;
  units: number;
  revenue: number;
}

export interface Categories {
  period: Range;
  categories: Category[];
}

export interface Country {
  country: string | null;
  customers: number;
  orders: number;
  revenue: number;
}

export interface Countries {
  period: Range;
  countries: Country[];
}

export interface RfmSegment {
  segment: string;
  customers: number;
  share: number;
  revenue: number;
  revenue_share: number;
  avg_recency_days: number;
  avg_orders: number;
  avg_revenue: number;
}

export interface RfmSegments {
  as_of: string | null;
  segments: RfmSegment[];
}

export interface CohortCell {
  month_offset: number;
  customers: number;
  retention: number;
  revenue: number;
}

export interface Cohort {
  cohort_month: string;
  customers: number;
  months: CohortCell[];
}

export interface Cohorts {
  cohorts: Cohort[];
}

export interface ChurnCustomer {
  customer_id: number;
  name: string | null;
  country: string | null;
  orders: number;
  revenue: number;
  last_order: string | null;
  avg_gap_days: number | null;
  days_since_last: number | null;
  churn_score: number | null;
}

export interface ChurnPage {
  as_of: string | null;
  customers: ChurnCustomer[];
  total: number;
  page: number;
  page_size: number;
}

export interface TableInfo {
  table: string;
  kind: string;
  rows: number;
  last_ingest: string | null;
  last_mode: string | null;
  last_source: string | null;
}

export interface Datasets {
  engine: string;
  version: string | null;
  built_at: string | null;
  first_date: string | null;
  as_of: string | null;
  tables: TableInfo[];
}

export interface IngestResult {
  version: string;
  mode: string;
  loaded: Record<string, number>;
  rows: Record<string, number>;
  seconds: number;
}

export type Granularity = "day" | "week" | "month";

/** The API's error body ({error, message, problems}) or a transport failure. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const API_BASE = "/api/v1";

type Params = Record<string, string | number | null | undefined>;

/** `/api/v1/<path>?<params>`, leaving out empty parameters. */
export function apiUrl(path: string, params: Params = {}): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") query.set(key, String(value));
  }
  const qs = query.toString();
  return `${API_BASE}/${path}${qs ? `?${qs}` : ""}`;
}

/** The message to show for a failed response: the API's JSON `message`, else the status line. */
export async function errorFrom(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = `${response.status} ${response.statusText}`.trim();
  try {
    const body = (await response.json()) as { error?: string; message?: string; problems?: { message?: string }[] };
    if (body.error) code = body.error;
    if (body.message) message = body.message;
    const first = body.problems?.[0]?.message;
    if (first && !message.includes(first)) message = `${message}: ${first}`;
  } catch {
    // Not JSON (a proxy's error page): the status line is all there is.
  }
  return new ApiError(message, response.status, code);
}

export async function getJson<T>(path: string, params: Params = {}, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(apiUrl(path, params), { signal, headers: { Accept: "application/json" } });
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ApiError("The analytics API cannot be reached.", 0, "unreachable");
  }
  if (!response.ok) throw await errorFrom(response);
  return (await response.json()) as T;
}

/** Upload a CSV or Parquet file into a table (needs the API key when the server has one). */
export async function uploadFile(
  table: string,
  mode: "replace" | "append",
  file: File,
  apiKey: string,
): Promise<IngestResult> {
  const form = new FormData();
  form.append("file", file, file.name);
  const headers: Record<string, string> = { Accept: "application/json" };
  if (apiKey) headers["X-API-Key"] = apiKey;
  let response: Response;
  try {
    response = await fetch(apiUrl(`ingest/${encodeURIComponent(table)}`, { mode }), {
      method: "POST",
      body: form,
      headers,
    });
  } catch {
    throw new ApiError("The analytics API cannot be reached.", 0, "unreachable");
  }
  if (!response.ok) throw await errorFrom(response);
  return (await response.json()) as IngestResult;
}
