import { useEffect, useState } from "preact/hooks";
import { ApiError } from "./api/client";

export type Loaded<T> = { state: "loading" } | { state: "error"; error: ApiError } | { state: "ready"; data: T };

/** Loads on mount and whenever `key` changes; a 503 with Retry-After (a model still fitting) is retried once it says. */
export function useApi<T>(key: string, load: () => Promise<T>): Loaded<T> {
  const [result, setResult] = useState<Loaded<T>>({ state: "loading" });
  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const attempt = () => {
      load().then(
        (data) => !cancelled && setResult({ state: "ready", data }),
        (error: unknown) => {
          if (cancelled) return;
          const failure = error instanceof ApiError ? error : new ApiError(String(error), undefined, undefined, undefined);
          setResult({ state: "error", error: failure });
          if (failure.status === 503 && failure.retryAfterSeconds !== undefined) {
            timer = setTimeout(attempt, failure.retryAfterSeconds * 1000);
          }
        },
      );
    };
    setResult({ state: "loading" });
    attempt();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [key]);
  return result;
}
