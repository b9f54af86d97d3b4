import { isDecimalOdds } from "../domain/closingOdds";
import { teamNameKey } from "../domain/teamNames";
import type { Team } from "../storage/repositories/teams";
import { localDate, seasonWindow } from "./seasons";
import type { RecordProblem, SourceRow } from "./types";

/** A row whose names resolved to teams, ready to be written. */
export interface CleanRow extends SourceRow {
  homeTeam: Team;
  awayTeam: Team;
}

export interface GateContext {
  season: string;
  /** Clubs in one of the league's seasons. */
  teams: number;
  timeZone: string;
  now: Date;
  /** Teams by name key, as `findTeamsByName` answers (own names and aliases). */
  known: ReadonlyMap<string, Team>;
}

export interface GateResult {
  clean: CleanRow[];
  problems: RecordProblem[];
  /** Set when the batch as a whole is not a season of the league: nothing of it may be written. */
  shapeProblem?: string;
}

/**
 * The data-quality gate every fetched batch passes before anything is written. Per record: a date inside the
 * season, names that resolve to teams (a new name is quarantined until an operator accepts it as an alias or a new
 * team, never guessed), two different teams, no result dated after now. Across the batch: no ordered pairing twice
 * (so each pairing at most twice, home and away), no team playing twice on one day, and no more known teams than
 * the league has (a batch mixing two leagues or seasons). Scores were checked as whole numbers from 0 to 99 when the
 * source was parsed; shots are checked here whatever the source: whole numbers from 0 to 99, and only on a played
 * result (the `matches_shots_*` constraints would otherwise fail the whole transaction); and closing odds: a triple of
 * finite decimal odds above 1. Both sides or neither is the shape of a pair, all three outcomes or none that of a
 * triple; a source reading a half-filled one reports it as a problem while parsing.
 */
export function checkBatch(rows: readonly SourceRow[], context: GateContext): GateResult {
  const problems: RecordProblem[] = [];
  const candidates: CleanRow[] = [];
  const window = seasonWindow(context.season);
  const today = localDate(context.now, context.timeZone);
  for (const row of rows) {
    const reject = (code: RecordProblem["code"], reason: string, unknownNames?: string[]) =>
      problems.push({ recordKey: row.recordKey, code, reason, raw: row.raw, ...(unknownNames ? { unknownNames } : {}) });
    if (row.date < window.from || row.date > window.to) {
      reject("invalid_date", `${row.date} is outside season ${context.season} (${window.from} to ${window.to})`);
      continue;
    }
    const homeTeam = context.known.get(teamNameKey(row.homeName));
    const awayTeam = context.known.get(teamNameKey(row.awayName));
    const unknown = [homeTeam === undefined ? row.homeName : undefined, awayTeam === undefined ? row.awayName : undefined]
      .filter((name): name is string => name !== undefined);
    if (homeTeam === undefined || awayTeam === undefined) {
      const list = unknown.map((name) => `"${name}"`).join(" and ");
      reject("unknown_team", `${list} ${unknown.length === 1 ? "is" : "are"} neither a team nor an alias of one`, unknown);
      continue;
    }
    if (homeTeam.id === awayTeam.id) {
      reject("same_team", `"${row.homeName}" and "${row.awayName}" are both ${homeTeam.name}`);
      continue;
    }
    const inFuture = row.kickoff === null ? row.date > today : row.kickoff.getTime() > context.now.getTime();
    if (row.status === "played" && inFuture) {
      reject("future_result", `a result for ${row.date}, which is after now (${context.now.toISOString()})`);
      continue;
    }
    const shotsProblem = checkShots(row);
    if (shotsProblem !== undefined) {
      reject("invalid_shots", shotsProblem);
      continue;
    }
    const oddsProblem = checkOdds(row);
    if (oddsProblem !== undefined) {
      reject("invalid_odds", oddsProblem);
      continue;
    }
    candidates.push({ ...row, homeTeam, awayTeam });
  }

  const flagged = new Map<CleanRow, RecordProblem>();
  const flag = (group: CleanRow[], code: RecordProblem["code"], reason: string) => {
    if (group.length < 2) return;
    for (const row of group) {
      if (!flagged.has(row)) flagged.set(row, { recordKey: row.recordKey, code, reason, raw: row.raw });
    }
  };
  for (const group of groupBy(candidates, (row) => `${row.homeTeam.id}:${row.awayTeam.id}`).values()) {
    flag(group, "duplicate_pairing", `${group[0].homeTeam.name} v ${group[0].awayTeam.name} appears ${group.length} times`);
  }
  const onTheDay = candidates.filter((row) => row.status === "scheduled" || row.status === "played");
  const byTeamAndDay = groupBy(
    onTheDay.flatMap((row) => [
      { key: `${row.date}:${row.homeTeam.id}`, row },
      { key: `${row.date}:${row.awayTeam.id}`, row },
    ]),
    (entry) => entry.key,
  );
  for (const [key, entries] of byTeamAndDay) {
    const team = entries[0].row.homeTeam.id === Number(key.split(":")[1]) ? entries[0].row.homeTeam : entries[0].row.awayTeam;
    flag(entries.map((entry) => entry.row), "team_twice_a_day", `${team.name} plays ${entries.length} matches on ${key.split(":")[0]}`);
  }
  problems.push(...flagged.values());

  // Unknown names are quarantined one by one above: a typo must not make a 21st team of a 20-team league.
  const teams = new Set(
    rows
      .flatMap((row) => [row.homeName, row.awayName])
      .map((name) => context.known.get(teamNameKey(name))?.id)
      .filter((id) => id !== undefined),
  );
  const shapeProblem =
    teams.size > context.teams ? `${teams.size} teams in a season of a ${context.teams}-team league` : undefined;
  return { clean: candidates.filter((row) => !flagged.has(row)), problems, ...(shapeProblem ? { shapeProblem } : {}) };
}

const isCount = (n: number) => Number.isInteger(n) && n >= 0 && n <= 99;

/** Why the row's shots cannot be stored, if they cannot. */
function checkShots(row: SourceRow): string | undefined {
  const pairs = [
    ["shots", row.shots],
    ["shots on target", row.shotsOnTarget],
  ] as const;
  for (const [name, pair] of pairs) {
    if (pair === null) continue;
    if (!isCount(pair.home) || !isCount(pair.away)) {
      return `${name} ${JSON.stringify(pair)} are not two whole numbers from 0 to 99`;
    }
    if (row.status !== "played") return `${name} ${pair.home}-${pair.away} for a match without a result (${row.status})`;
  }
  return undefined;
}

/** Why the row's closing odds cannot be stored, if they cannot. */
function checkOdds(row: SourceRow): string | undefined {
  const odds = row.closingOdds;
  if (odds === null) return undefined;
  const prices = [odds.home, odds.draw, odds.away];
  if (!prices.every(isDecimalOdds)) {
    return `closing odds ${prices.join(" / ")} (${odds.source}) are not three finite decimal odds above 1`;
  }
  return undefined;
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item]);
  return groups;
}
