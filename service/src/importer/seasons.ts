import { TZDate } from "@date-fns/tz";

/**
 * European seasons run from summer to summer: from July a date belongs to the season starting that year. Names are
 * the catalog's (`2026-2027`); each source spells them its own way.
 */
const SEASON_START_MONTH = 7;

export function seasonOf(date: Date, timeZone: string): string {
  const local = new TZDate(date.getTime(), timeZone);
  const start = local.getMonth() + 1 >= SEASON_START_MONTH ? local.getFullYear() : local.getFullYear() - 1;
  return `${start}-${start + 1}`;
}

export const seasonStartYear = (season: string) => Number(season.slice(0, 4));

/** openfootball's folder: `2026-27`. */
export const openfootballSeason = (season: string) => `${season.slice(0, 4)}-${season.slice(7, 9)}`;

/** football-data.co.uk's folder: `2627`. */
export const footballDataCsvSeason = (season: string) => `${season.slice(2, 4)}${season.slice(7, 9)}`;

/** The first and last calendar day a season's matches may fall on. */
export function seasonWindow(season: string): { from: string; to: string } {
  const start = seasonStartYear(season);
  return { from: `${start}-07-01`, to: `${start + 1}-06-30` };
}

/** The calendar date of an instant in the league's time zone. */
export function localDate(instant: Date, timeZone: string): string {
  const local = new TZDate(instant.getTime(), timeZone);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${local.getFullYear()}-${pad(local.getMonth() + 1)}-${pad(local.getDate())}`;
}

/** A local date and `hh:mm` in the league's zone as an instant (daylight saving included). */
export function localKickoff(date: string, time: string, timeZone: string): Date {
  const [year, month, day] = date.split("-").map(Number);
  const [hours, minutes] = time.split(":").map(Number);
  return new Date(new TZDate(year, month - 1, day, hours, minutes, timeZone).getTime());
}

export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value;
}
