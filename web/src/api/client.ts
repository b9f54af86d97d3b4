import createClient from "openapi-fetch";
import type { paths } from "./schema";

// Types the page uses, all derived from the service's OpenAPI document (schema.d.ts is generated from it).
type Ok<P extends keyof paths> = paths[P]["get"] extends { responses: { 200: { content: { "application/json": infer T } } } }
  ? T
  : never;
export type Fixture = Ok<"/api/v1/fixtures">["data"][number];
export type LeagueRecord = Ok<"/api/v1/models/{league}/record">;

/** The API on the page's own origin: the CSP allows no other. */
export const api = createClient<paths>({ baseUrl: "/" });

/** A failed call, with what the person reading the page should be told. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly code: string | undefined,
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(message);
  }
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Unwraps an openapi-fetch answer, turning the service's error body (or a dead connection) into an ApiError. */
export async function unwrap<T>(call: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await call;
  } catch {
    throw new ApiError("The prediction service cannot be reached. Check that it is running, then reload.", undefined, undefined, undefined);
  }
  if (answer.data !== undefined) return answer.data;
  const { response } = answer;
  const body = answer.error as { error?: { code?: string; message?: string } } | undefined;
  const retry = Number(response.headers.get("Retry-After") ?? Number.NaN);
  const message = body?.error?.message ?? `The service answered ${response.status} ${response.statusText}.`;
  throw new ApiError(message, response.status, body?.error?.code, Number.isFinite(retry) ? retry : undefined);
}
