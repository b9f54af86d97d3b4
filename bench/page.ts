import { mintToken } from "../service/src/auth/tokens";
import { launchChromium } from "../test/support/browser";
import type { ServerProcess } from "./processes";

/** Fixtures the bench adds a week ahead, so the next match day has a realistic number of matches to paint. */
const FIXTURES = 10;

export interface PageFigures {
  loads: number;
  fixtures: number;
  /** From navigation start to the page's `fixtures-painted` mark: the first fixtures with probabilities on screen. */
  firstFixturesPaintedMs: Distribution;
  /** The page's own GET /api/v1/fixtures, as its Resource Timing entry measured it (request start to last byte). */
  fixturesApiMs: Distribution;
  /** The first load, with nothing cached by the browser: HTML, script and style fetched too. */
  coldLoad: { firstFixturesPaintedMs: number; fixturesApiMs: number };
}

interface Distribution {
  median: number;
  min: number;
  max: number;
}

function distribution(values: number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1] };
}

/** Adds FIXTURES E0 matches a week from now between teams of its latest season, through the write API. */
async function addFixtures(server: ServerProcess, jwtSecret: string): Promise<void> {
  const token = await mintToken(jwtSecret, { subject: "bench", scopes: ["write"], ttlSeconds: 600 });
  const league = (await (await fetch(`${server.baseUrl}/api/v1/leagues/E0`)).json()) as { seasons: string[] };
  const latest = league.seasons[league.seasons.length - 1];
  const teams = (await (await fetch(`${server.baseUrl}/api/v1/teams?league=E0&season=${latest}&limit=${2 * FIXTURES}`)).json()) as {
    data: Array<{ name: string }>;
  };
  const date = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
  const year = Number(date.slice(0, 4));
  const season = Number(date.slice(5, 7)) >= 7 ? `${year}-${year + 1}` : `${year - 1}-${year}`;
  for (let i = 0; i + 1 < teams.data.length && i < 2 * FIXTURES; i += 2) {
    const response = await fetch(`${server.baseUrl}/api/v1/matches`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ league: "E0", season, date, homeTeam: teams.data[i].name, awayTeam: teams.data[i + 1].name }),
    });
    if (response.status !== 201) throw new Error(`adding a fixture answered ${response.status}: ${await response.text()}`);
  }
}

/**
 * Loads the landing page `loads` times in Chromium (the first with an empty browser cache) and reads, from the
 * page's own Performance API, when the first fixtures were painted and how long its fixtures request took.
 */
export async function benchmarkPage(server: ServerProcess, jwtSecret: string, loads: number): Promise<PageFigures> {
  await addFixtures(server, jwtSecret);
  const context = await launchChromium({ width: 1280, height: 900, locale: "en-GB" });
  try {
    const page = await context.newPage();
    const painted: number[] = [];
    const api: number[] = [];
    let fixtures = 0;
    for (let load = 0; load < loads; load++) {
      await page.goto(`${server.baseUrl}/`);
      await page.waitForSelector("html[data-fixtures-painted]", { timeout: 30_000 });
      const timing = await page.evaluate<{ painted: number; api: number; cards: number }>(`(() => {
        const mark = performance.getEntriesByName("fixtures-painted")[0];
        const call = performance.getEntriesByType("resource").find((entry) => entry.name.includes("/api/v1/fixtures"));
        return { painted: mark.startTime, api: call.responseEnd - call.startTime, cards: document.querySelectorAll("[data-match-id]").length };
      })()`);
      painted.push(timing.painted);
      api.push(timing.api);
      fixtures = timing.cards;
    }
    return {
      loads,
      fixtures,
      firstFixturesPaintedMs: distribution(painted.slice(1)),
      fixturesApiMs: distribution(api.slice(1)),
      coldLoad: { firstFixturesPaintedMs: painted[0], fixturesApiMs: api[0] },
    };
  } finally {
    await context.close();
  }
}

export function renderPageMarkdown(figures: PageFigures): string[] {
  const ms = (value: number) => `${value.toFixed(0)} ms`;
  const { firstFixturesPaintedMs: painted, fixturesApiMs: api } = figures;
  return [
    "## Web page: time to the first fixtures",
    "",
    `The landing page in headless Chromium on this machine, with ${figures.fixtures} fixtures on the next match day, ` +
      `loaded ${figures.loads} times; times from the page's own Performance API (navigation start to its ` +
      "`fixtures-painted` mark; the fixtures request's Resource Timing).",
    "",
    "| load | first fixtures painted | its GET /api/v1/fixtures |",
    "|---|---|---|",
    `| first (empty browser cache) | ${ms(figures.coldLoad.firstFixturesPaintedMs)} | ${ms(figures.coldLoad.fixturesApiMs)} |`,
    `| later (median, min to max) | ${ms(painted.median)} (${ms(painted.min)} to ${ms(painted.max)}) | ` +
      `${ms(api.median)} (${ms(api.min)} to ${ms(api.max)}) |`,
    "",
  ];
}
