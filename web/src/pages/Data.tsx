// Data: the published version, each table's last ingest, and an upload form.
// The API key is typed by the user and kept in this tab's sessionStorage only:
// no secret is ever part of the bundle.
import { type FormEvent, useState } from "react";

import { ApiError, type Datasets, type IngestResult, uploadFile } from "../api";
import { DataTable, Panel } from "../components";
import { formatDate, formatInteger } from "../format";
import { useApi } from "../useApi";

const TABLES = ["orders", "customers", "products"];
const KEY_STORAGE = "shop-dashboard-api-key";

type UploadState =
  | { state: "idle" }
  | { state: "sending" }
  | { state: "done"; result: IngestResult }
  | { state: "failed"; message: string };

export function Data() {
  const [refresh, setRefresh] = useState(0);
  const datasets = useApi<Datasets>("datasets", { refresh });
  const [upload, setUpload] = useState<UploadState>({ state: "idle" });

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const file = form.get("file");
    const apiKey = String(form.get("apiKey") ?? "");
    if (!(file instanceof File) || file.size === 0) {
      setUpload({ state: "failed", message: "Choose a CSV or Parquet file first." });
      return;
    }
    sessionStorage.setItem(KEY_STORAGE, apiKey);
    setUpload({ state: "sending" });
    try {
      const mode = form.get("mode") === "append" ? "append" : "replace";
      const result = await uploadFile(String(form.get("table")), mode, file, apiKey);
      setUpload({ state: "done", result });
      setRefresh((n) => n + 1);
    } catch (error) {
      setUpload({ state: "failed", message: error instanceof ApiError ? error.message : String(error) });
    }
  }

  return (
    <div className="grid">
      <Panel title="Datasets" data={datasets} wide>
        {(d) => (
          <>
            <p className="muted">
              Engine {d.engine}, version <code>{d.version ?? "none"}</code>, orders from {formatDate(d.first_date)} to{" "}
              {formatDate(d.as_of)}.
            </p>
            <DataTable
              caption="Tables"
              rows={d.tables}
              rowKey={(t) => t.table}
              columns={[
                { header: "Table", cell: (t) => t.table },
                { header: "Kind", cell: (t) => t.kind },
                { header: "Rows", cell: (t) => formatInteger(t.rows), numeric: true },
                { header: "Last ingest", cell: (t) => (t.last_ingest ? new Date(t.last_ingest).toLocaleString() : "–") },
                { header: "Source", cell: (t) => t.last_source ?? "–" },
              ]}
            />
          </>
        )}
      </Panel>
      <section className="panel wide" aria-labelledby="upload-heading">
        <h2 id="upload-heading">Upload a file</h2>
        <form className="upload" onSubmit={submit}>
          <label>
            Table
            <select name="table" defaultValue="orders">
              {TABLES.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </label>
          <label>
            Mode
            <select name="mode" defaultValue="append">
              <option value="append">append</option>
              <option value="replace">replace</option>
            </select>
          </label>
          <label>
            File (CSV or Parquet)
            <input type="file" name="file" accept=".csv,.parquet,text/csv" required />
          </label>
          <label>
            API key
            <input
              type="password"
              name="apiKey"
              autoComplete="off"
              defaultValue={sessionStorage.getItem(KEY_STORAGE) ?? ""}
            />
          </label>
          <button type="submit" disabled={upload.state === "sending"}>
            {upload.state === "sending" ? "Uploading…" : "Upload"}
          </button>
        </form>
        {upload.state === "failed" && (
          <p className="error" role="alert" data-testid="upload-error">
            {upload.message}
          </p>
        )}
        {upload.state === "done" && (
          <p className="ok" role="status">
            Loaded {Object.entries(upload.result.loaded).map(([t, n]) => `${formatInteger(n)} rows into ${t}`).join(", ")}{" "}
            (version {upload.result.version}).
          </p>
        )}
      </section>
    </div>
  );
}
