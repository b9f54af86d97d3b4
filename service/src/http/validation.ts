import { z } from "zod";
import { decodeCursor, encodeCursor } from "../catalog/cursor";
import { cleanTeamName, teamNameProblem } from "../domain/teamNames";
import { HttpError } from "./errors";

export type InputPart = "path" | "query" | "body";

/** Validates one part of a request; failures become a 400 whose details name each offending field. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, part: InputPart): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues.flatMap((issue) => {
    const field = issue.path.length > 0 ? issue.path.join(".") : part;
    if (issue.code === "unrecognized_keys") {
      const prefix = field === part ? "" : `${field}.`;
      return issue.keys.map((key) => ({ field: `${prefix}${key}`, problem: "is not a known field" }));
    }
    return [{ field, problem: issue.message }];
  });
  const summary = details.map((detail) => `${detail.field}: ${detail.problem}`).join("; ");
  throw new HttpError(400, `invalid_${part}`, `invalid ${part}: ${summary}`, details);
}

/** Distinct inputs remembered per schema and part; past it the memory starts afresh. */
const MAX_REMEMBERED_INPUTS = 1_000;
/** The parts whose input is a text that determines the value (a body is parsed JSON). */
type TextPart = Exclude<InputPart, "body">;
const remembered: Record<TextPart, WeakMap<z.ZodType, Map<string, unknown>>> = {
  path: new WeakMap(),
  query: new WeakMap(),
};

/**
 * `value`, the request's `part` as the text `text`, validated by `schema` once per distinct text: every schema given
 * here is a pure function of that text, the hot reads are a few pages and fixtures asked for over and over, and
 * validating them again cost about a tenth of a cached answer. Only valid input is kept, frozen: requests share it.
 */
function parseRemembered<T extends z.ZodType>(
  schema: T,
  part: TextPart,
  text: string,
  value: unknown,
): Readonly<z.output<T>> {
  let known = remembered[part].get(schema);
  if (known === undefined) {
    known = new Map();
    remembered[part].set(schema, known);
  }
  const parsed = known.get(text);
  if (parsed !== undefined) return parsed as Readonly<z.output<T>>;
  const fresh = Object.freeze(parseInput(schema, value, part));
  if (known.size >= MAX_REMEMBERED_INPUTS) known.clear();
  known.set(text, fresh);
  return fresh;
}

/** A request's query string validated by `schema` (Koa's parsed `query`), remembered by the string. */
export function parseQuery<T extends z.ZodType>(schema: T, querystring: string, query: unknown): Readonly<z.output<T>> {
  return parseRemembered(schema, "query", querystring, query);
}

/** A path parameter validated by `schema`, remembered by its text; a missing one is refused every time. */
export function parsePath<T extends z.ZodType>(schema: T, parameter: string | undefined): Readonly<z.output<T>> {
  return parameter === undefined
    ? parseInput(schema, parameter, "path")
    : parseRemembered(schema, "path", parameter, parameter);
}

function isCalendarDate(value: string): boolean {
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value;
}

/** Ids are PostgreSQL `integer`s; a larger number could never match and would fail the query. */
const MAX_SERIAL_ID = 2_147_483_647;

export const serialId = z.number().int().min(1).max(MAX_SERIAL_ID);

export const idParam = z
  .string()
  .regex(/^[1-9][0-9]{0,9}$/, "must be a positive whole number")
  .transform(Number)
  .refine((id) => id <= MAX_SERIAL_ID, "is too large");

export const leagueCode = z.string().regex(/^[A-Z][A-Z0-9]{0,9}$/, "must be a league code like E0");

export const isoDate = z
  .string()
  .regex(/^(18[5-9]\d|19\d\d|2[01]\d\d)-\d{2}-\d{2}$/, "must be a date yyyy-mm-dd between 1850 and 2199")
  .refine(isCalendarDate, "is not a calendar date");

const DAY_MS = 86_400_000;

/**
 * A query's optional `from` and `to` dates: both or neither, `from` not after `to`, and at most `maxDays` days from
 * the first to the last, both included.
 */
export function dateRange<T extends z.ZodType<{ from?: string; to?: string }>>(schema: T, maxDays: number) {
  return schema.superRefine(({ from, to }, ctx) => {
    if (from === undefined && to === undefined) return;
    if (from === undefined || to === undefined) {
      const [missing, given] = from === undefined ? ["from", "to"] : ["to", "from"];
      ctx.addIssue({ code: "custom", path: [missing], message: `is required when ${given} is given` });
    } else if (from > to) {
      ctx.addIssue({ code: "custom", path: ["from"], message: "must not be after to" });
    } else if ((Date.parse(to) - Date.parse(from)) / DAY_MS + 1 > maxDays) {
      const message = `must be at most ${maxDays} days from from, both included`;
      ctx.addIssue({ code: "custom", path: ["to"], message });
    }
  });
}

export const seasonName = z
  .string()
  .regex(/^\d{4}-\d{4}$/, "must be a season like 2024-2025")
  .refine((value) => Number(value.slice(5)) === Number(value.slice(0, 4)) + 1, "must span two consecutive years");

/** The domain's rules for team names (service/src/domain/teamNames.ts), so every write and lookup meets the same. */
export const teamName = z
  .string()
  .superRefine((value, ctx) => {
    const problem = teamNameProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  })
  .transform(cleanTeamName);

/**
 * A whole number in a query string: plain decimal digits only. `Number()` would also take `1e2`, `0x10`, ` 5` and
 * `5.0`, spellings no client means as a count and that would make equal requests look different.
 */
const queryInteger = (min: number, max: number) =>
  z
    .string({ error: "must be a whole number" })
    .regex(/^[0-9]{1,10}$/, "must be a whole number written in decimal digits")
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

export const pageLimit = queryInteger(1, 200).default(50);

/**
 * A keyset cursor, decoded and validated. Only the exact spelling the service issues is accepted: base64url is
 * lenient (padding, stray characters and spare bits decode all the same), and a cursor must name one position.
 */
export function cursorOf<T extends z.ZodType>(shape: T) {
  return z
    .string()
    .max(512, "is not a cursor this service issued")
    .transform((value, ctx) => {
      try {
        const raw = decodeCursor(value);
        const decoded = shape.safeParse(raw);
        if (decoded.success && encodeCursor(raw) === value) return decoded.data as z.output<T>;
      } catch {
        // Falls through to the issue below: any undecodable cursor is the same client error.
      }
      ctx.addIssue({ code: "custom", message: "is not a cursor this service issued" });
      return z.NEVER;
    });
}
