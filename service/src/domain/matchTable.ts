/**
 * A count per side of one match: goals for the Dixon-Coles model, shots or shots on target for the shot
 * models. Dates are ISO calendar dates (yyyy-mm-dd).
 */
export interface CountedMatch {
  date: string;
  homeTeam: string;
  awayTeam: string;
  home: number;
  away: number;
}

/** A match's identity with one count per side. */
export function counted(
  match: Pick<CountedMatch, "date" | "homeTeam" | "awayTeam">,
  home: number,
  away: number,
): CountedMatch {
  return { date: match.date, homeTeam: match.homeTeam, awayTeam: match.awayTeam, home, away };
}

/** The matches as flat typed arrays, so the fitting loops touch no objects. */
export interface MatchTable {
  teams: string[];
  home: Int32Array;
  away: Int32Array;
  homeCount: Int32Array;
  awayCount: Int32Array;
  /** Days from each match to asOf. */
  age: Float64Array;
  /** Days from the start of each team's latest stint to asOf. */
  arrivalAge: Float64Array;
  /** Index of each match's (home team, away team) pairing, and each pairing's teams. */
  pairing: Int32Array;
  pairHome: Int32Array;
  pairAway: Int32Array;
  /**
   * The low-score cell of each match: 0 for 0-0, 1 for 0-1, 2 for 1-0, 3 for 1-1, else -1; always -1 when the
   * counts have no low-score dependence.
   */
  lowScoreCell: Int8Array;
  /** The matches with the earliest and latest dates. */
  oldest: number;
  newest: number;
}

/** The ridge prior's strengths, in weighted matches (see DixonColesOptions). */
export interface PriorStrengths {
  priorStrength: number;
  arrivalPriorStrength: number;
}

/**
 * A match table weighted with one decay rate, summed per pairing. Every match of a pairing has the same
 * Poisson means, so the likelihood needs only each pairing's weighted match count, weighted counts and
 * weighted count per low-score cell: evaluating it costs one step per pairing, not per match.
 */
export interface FitData extends MatchTable {
  weight: Float64Array;
  /** Time-weighted matches per team. */
  teamWeight: Float64Array;
  /** Ridge strength per team: the base prior plus the decayed arrival prior. */
  priorStrength: Float64Array;
  pairWeight: Float64Array;
  pairHomeCount: Float64Array;
  pairAwayCount: Float64Array;
  /** Weighted matches per pairing and low-score cell, four per pairing. */
  pairCellWeight: Float64Array;
}

const DAY_MS = 86_400_000;

/** A team absent for longer than this (a summer break is at most about 100 days) left the league and came back. */
const STINT_GAP_DAYS = 200;

/**
 * Tabulates the matches with their ages at `asOf`. Teams are ordered by plain code-unit order, not
 * localeCompare, so the ordering cannot depend on the runtime's ICU data.
 */
export function tabulate(matches: readonly CountedMatch[], asOf: string, lowScoreDependence: boolean): MatchTable {
  if (matches.length === 0) throw new Error("no matches to fit");
  const asOfDay = dayNumber(asOf);
  const names = new Set<string>();
  for (const match of matches) {
    names.add(match.homeTeam);
    names.add(match.awayTeam);
  }
  const teams = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(teams.map((team, i) => [team, i]));

  const count = matches.length;
  const pairingOf = new Map<number, number>();
  const pairHome: number[] = [];
  const pairAway: number[] = [];
  const table: MatchTable = {
    teams,
    home: new Int32Array(count),
    away: new Int32Array(count),
    homeCount: new Int32Array(count),
    awayCount: new Int32Array(count),
    age: new Float64Array(count),
    arrivalAge: new Float64Array(teams.length),
    pairing: new Int32Array(count),
    pairHome: new Int32Array(0),
    pairAway: new Int32Array(0),
    lowScoreCell: new Int8Array(count).fill(-1),
    oldest: 0,
    newest: 0,
  };
  matches.forEach((match, k) => {
    const age = asOfDay - dayNumber(match.date);
    if (age < 0) throw new Error(`match on ${match.date} is after asOf ${asOf}`);
    const home = index.get(match.homeTeam) as number;
    const away = index.get(match.awayTeam) as number;
    const key = home * teams.length + away;
    let pairing = pairingOf.get(key);
    if (pairing === undefined) {
      pairing = pairHome.length;
      pairingOf.set(key, pairing);
      pairHome.push(home);
      pairAway.push(away);
    }
    table.home[k] = home;
    table.away[k] = away;
    table.homeCount[k] = match.home;
    table.awayCount[k] = match.away;
    table.age[k] = age;
    table.pairing[k] = pairing;
    if (lowScoreDependence && match.home <= 1 && match.away <= 1) table.lowScoreCell[k] = 2 * match.home + match.away;
    if (age > table.age[table.oldest]) table.oldest = k;
    if (age < table.age[table.newest]) table.newest = k;
  });
  table.pairHome = Int32Array.from(pairHome);
  table.pairAway = Int32Array.from(pairAway);
  findArrivals(table);
  return table;
}

/** Sets each team's arrivalAge: the age of its first match after its last absence of over STINT_GAP_DAYS. */
function findArrivals(table: MatchTable): void {
  const { age, home, away, arrivalAge } = table;
  let order = Array.from(age.keys());
  // Oldest first; sorting only when the caller did not already pass the matches in date order.
  if (age.some((value, k) => k > 0 && value > age[k - 1])) order = order.sort((a, b) => age[b] - age[a]);
  const lastSeen = new Float64Array(arrivalAge.length).fill(Number.NaN);
  const see = (team: number, matchAge: number): void => {
    if (!(lastSeen[team] - matchAge <= STINT_GAP_DAYS)) arrivalAge[team] = matchAge;
    lastSeen[team] = matchAge;
  };
  for (const k of order) {
    see(home[k], age[k]);
    see(away[k], age[k]);
  }
}

/** The table weighted by `exp(-xi * age)`, with each team's prior strength decayed alike from its arrival. */
export function withDecay(table: MatchTable, priors: PriorStrengths, xi: number): FitData {
  const pairings = table.pairHome.length;
  const data: FitData = {
    ...table,
    weight: table.age.map((age) => Math.exp(-xi * age)),
    teamWeight: new Float64Array(table.teams.length),
    priorStrength: table.arrivalAge.map(
      (age) => priors.priorStrength + priors.arrivalPriorStrength * Math.exp(-xi * age),
    ),
    pairWeight: new Float64Array(pairings),
    pairHomeCount: new Float64Array(pairings),
    pairAwayCount: new Float64Array(pairings),
    pairCellWeight: new Float64Array(4 * pairings),
  };
  data.weight.forEach((w, k) => {
    const pairing = table.pairing[k];
    data.teamWeight[table.home[k]] += w;
    data.teamWeight[table.away[k]] += w;
    data.pairWeight[pairing] += w;
    data.pairHomeCount[pairing] += w * table.homeCount[k];
    data.pairAwayCount[pairing] += w * table.awayCount[k];
    if (table.lowScoreCell[k] >= 0) data.pairCellWeight[4 * pairing + table.lowScoreCell[k]] += w;
  });
  return data;
}

/** Days since 1970-01-01, read digit by digit: string date parsing dominated the time of a warm refit. */
export function dayNumber(isoDate: string): number {
  const year = digitsAt(isoDate, 0, 4);
  const month = digitsAt(isoDate, 5, 7);
  const day = digitsAt(isoDate, 8, 10);
  const shaped = isoDate.length === 10 && isoDate[4] === "-" && isoDate[7] === "-";
  if (!shaped || !(month >= 1 && month <= 12 && day >= 1 && day <= 31)) {
    throw new Error(`"${isoDate}" is not an ISO date`);
  }
  return Date.UTC(year, month - 1, day) / DAY_MS;
}

/** The decimal number in text[from, to), or NaN if any character there is not a digit. */
function digitsAt(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (!(digit >= 0 && digit <= 9)) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}
