// Load one API resource for a component: re-fetches when the path or parameters
// change and aborts the request in flight, so a fast filter change never shows
// stale data.
import { useEffect, useState } from "react";

import { ApiError, getJson } from "./api";

export type Loadable<T> =
  | { state: "loading" }
  | { state: "error"; error: ApiError }
  | { state: "ready"; data: T };

export function useApi<T>(path: string, params: Record<string, string | number | null | undefined>): Loadable<T> {
  const key = `${path}?${JSON.stringify(params)}`;
  const [result, setResult] = useState<{ key: string; value: Loadable<T> }>({ key, value: { state: "loading" } });

  useEffect(() => {
    const controller = new AbortController();
    getJson<T>(path, params, controller.signal).then(
      (data) => setResult({ key, value: { state: "ready", data } }),
      (error: Error) => {
        if (error.name === "AbortError") return;
        const apiError = error instanceof ApiError ? error : new ApiError(error.message, 0, "client");
        setResult({ key, value: { state: "error", error: apiError } });
      },
    );
    return () => controller.abort();
    // `key` captures path and params by value.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  return result.key === key ? result.value : { state: "loading" };
}
