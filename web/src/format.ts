// Numbers and dates for people, in the reader's own locale (the browser's language settings).
const percent = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 0 });
const percentFine = new Intl.NumberFormat(undefined, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });
const decimal = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const score = new Intl.NumberFormat(undefined, { minimumFractionDigits: 4, maximumFractionDigits: 4 });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
const timeFormat = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
const instantFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export const formatPercent = (p: number) => percent.format(p);
export const formatPercentFine = (p: number) => percentFine.format(p);
export const formatGoals = (goals: number) => decimal.format(goals);
export const formatScore = (value: number) => score.format(value);

/** A calendar date (yyyy-mm-dd) is a day, not an instant: formatted in UTC so no time zone moves it. */
export const formatDay = (isoDate: string) => dayFormat.format(new Date(`${isoDate}T00:00:00Z`));
export const formatInstant = (iso: string) => instantFormat.format(new Date(iso));

/** Kick-off in the reader's time zone when the time is known, otherwise the day. */
export const formatKickoff = (match: { date: string; kickoff: string | null }) =>
  match.kickoff === null ? formatDay(match.date) : timeFormat.format(new Date(match.kickoff));
