import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import type { BrowserContext, Page } from "playwright-core";
import {
  type PageProblems,
  axeViolations,
  builtWebPage,
  launchChromium,
  watchProblems,
} from "../support/browser";
import { seededDatabaseUrl } from "../support/databases";
import { eventually } from "../support/net";
import { REPO_ROOT } from "../support/processes";
import { type TestService, startTestService, testConfig, writeToken } from "../support/service";

/** Screenshots land here (git-ignored); CI keeps them as artefacts. */
const ARTIFACTS = path.join(REPO_ROOT, "test", "artifacts", "web");
const WIDTHS = [390, 1280] as const;
const LANDING_JS_BUDGET_GZIP_BYTES = 100 * 1024;

interface FixtureJson {
  match: { id: number; league: string; homeTeam: { name: string }; awayTeam: { name: string } };
  prediction: { homeWin: number; draw: number; awayWin: number; expectedGoals: { home: number; away: number } } | null;
}

describe("web page in Chromium (real service, fresh database)", function () {
  this.timeout(120_000);
  let api: TestService;
  let context: BrowserContext;
  let page: Page;
  let problems: PageProblems;
  const scripts = new Map<string, number>();
  let fixture: FixtureJson["match"] & { homeTeam: { id: number } };

  const apiJson = async <T>(urlPath: string): Promise<T> => {
    const response = await api.get(urlPath);
    assert.equal(response.status, 200, `${urlPath}: ${await response.clone().text()}`);
    return (await response.json()) as T;
  };

  const screenshots = async (name: string) => {
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}-${width}.png`), fullPage: true });
    }
  };

  const assertAccessible = async (name: string) => {
    const serious = (await axeViolations(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
    assert.deepEqual(serious, [], `${name}: axe-core reports serious or critical violations`);
  };

  before(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const [databaseUrl, webRoot] = await Promise.all([seededDatabaseUrl(), builtWebPage()]);
    api = await startTestService(testConfig({ DATABASE_URL: databaseUrl }), { webRoot });
    // A fixture of its own a week ahead, so the next match day has at least one match whatever the seed holds.
    const date = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    const year = Number(date.slice(0, 4));
    const season = Number(date.slice(5, 7)) >= 7 ? `${year}-${year + 1}` : `${year - 1}-${year}`;
    const created = await api.send("POST", "/api/v1/matches", { league: "E0", season, date, homeTeam: "Arsenal", awayTeam: "Chelsea" }, await writeToken());
    assert.equal(created.status, 201, await created.clone().text());
    fixture = (await created.json()) as FixtureJson["match"] & { homeTeam: { id: number } };
    context = await launchChromium({ width: 1280, height: 900, locale: "en-GB" });
    page = await context.newPage();
    problems = await watchProblems(page);
    page.on("response", async (response) => {
      if (response.request().resourceType() === "script") scripts.set(response.url(), gzipSync(await response.body()).length);
    });
  });

  after(async () => {
    await context?.close();
    await api?.stop();
  });

  // Each test answers for its own page only.
  beforeEach(() => problems?.list.splice(0));

  afterEach(function () {
    if (this.currentTest?.state === "passed") assert.deepEqual(problems.list.splice(0), [], "console errors or CSP violations");
  });

  it("fixtures: the landing page shows the next match day with the API's numbers, within its JavaScript budget", async () => {
    await page.goto(`${api.baseUrl}/`);
    await page.waitForSelector("[data-match-id], .status.error", { timeout: 30_000 });
    const answer = await apiJson<{ data: FixtureJson[] }>("/api/v1/fixtures");
    const cards = page.locator("[data-match-id]");
    assert.equal(await cards.count(), answer.data.length);
    assert.ok(answer.data.length > 0, "the next match day has matches");
    for (const fixture of answer.data) {
      const card = page.locator(`[data-match-id="${fixture.match.id}"]`);
      assert.match(await card.locator("h3").innerText(), new RegExp(`${fixture.match.homeTeam.name}\\s+v\\s+${fixture.match.awayTeam.name}`));
      if (fixture.prediction === null) continue;
      for (const [outcome, value] of [["home", fixture.prediction.homeWin], ["draw", fixture.prediction.draw], ["away", fixture.prediction.awayWin]] as const) {
        const bar = card.locator(`[data-outcome="${outcome}"]`);
        assert.equal(Number(await bar.getAttribute("data-probability")), value);
        const shown = await bar.locator(".bar-value").innerText();
        assert.equal(shown, new Intl.NumberFormat("en-GB", { style: "percent", maximumFractionDigits: 0 }).format(value));
      }
      assert.equal(await card.locator('[data-xg="home"]').innerText(), fixture.prediction.expectedGoals.home.toFixed(2));
    }
    const total = [...scripts.values()].reduce((sum, size) => sum + size, 0);
    assert.ok(scripts.size > 0 && total <= LANDING_JS_BUDGET_GZIP_BYTES, `landing page JavaScript ${total} bytes gzipped`);
    await assertAccessible("fixtures");
    await screenshots("fixtures");
  });

  it("fixtures: the league picker narrows the list to one league", async () => {
    await page.goto(`${api.baseUrl}/`);
    await page.waitForSelector("#league-picker:not([disabled])");
    await page.selectOption("#league-picker", "E0");
    await page.waitForURL(/\?league=E0$/);
    await page.waitForSelector("[data-match-id], .status");
    const answer = await apiJson<{ data: FixtureJson[] }>("/api/v1/fixtures?league=E0");
    await eventually(async () => ((await page.locator("[data-match-id]").count()) === answer.data.length ? true : undefined));
    const leagues = await page.locator("[data-match-id] .meta").allInnerTexts();
    assert.ok(leagues.every((text) => text.includes("E0")), leagues.join(" | "));
  });

  it("fixtures: a chosen date range lists its played matches with their results", async () => {
    await page.goto(`${api.baseUrl}/?league=E0`);
    await page.waitForSelector("[data-match-id]");
    await page.fill('input[name="from"]', "2026-05-17");
    await page.fill('input[name="to"]', "2026-05-24");
    await page.click('button[type="submit"]');
    await page.waitForURL(/league=E0&from=2026-05-17&to=2026-05-24$/);
    const answer = await apiJson<{ data: Array<FixtureJson & { match: { score: { home: number; away: number } | null } }> }>(
      "/api/v1/fixtures?league=E0&from=2026-05-17&to=2026-05-24",
    );
    assert.ok(answer.data.length > 0, "the seed has results in that week");
    await eventually(async () => ((await page.locator("[data-match-id]").count()) === answer.data.length ? true : undefined));
    for (const fixture of answer.data) {
      const result = await page.locator(`[data-match-id="${fixture.match.id}"] [data-result]`).innerText();
      assert.equal(result, `Result ${fixture.match.score?.home}–${fixture.match.score?.away}`);
    }
  });

  it("keyboard only: Tab reaches a match with a visible focus ring, Enter opens it", async () => {
    await page.goto(`${api.baseUrl}/?league=E0`);
    await page.waitForSelector("[data-match-id] h3 a");
    let focused = "";
    for (let presses = 0; presses < 30 && !focused.startsWith("/match/"); presses++) {
      await page.keyboard.press("Tab");
      focused = await page.evaluate<string>('document.activeElement?.getAttribute("href") ?? ""');
    }
    assert.match(focused, /^\/match\/\d+$/, "Tab reaches a match link");
    const outline = await page.evaluate<string>("getComputedStyle(document.activeElement).outlineStyle");
    assert.notEqual(outline, "none", "the focused link shows a focus ring");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/match\/\d+$/);
    await page.waitForSelector("[data-chart=score-grid], .status.error");
  });

  it("match: the score grid has 7 x 7 cells summing to nearly all the probability, and the markets", async () => {
    const { id } = fixture;
    const prediction = await apiJson<{ scoreGrid: number[][]; prediction: { over25: number } }>(`/api/v1/predictions/${id}`);
    await page.goto(`${api.baseUrl}/match/${id}`);
    await page.waitForSelector("[data-chart=score-grid]");
    assert.equal(await page.locator("[data-cell]").count(), 49);
    assert.equal(prediction.scoreGrid.length, 7);
    assert.ok(prediction.scoreGrid.flat().reduce((a, b) => a + b, 0) > 0.95);
    assert.equal(
      await page.locator('[data-market="over25"]').innerText(),
      new Intl.NumberFormat("en-GB", { style: "percent", maximumFractionDigits: 0 }).format(prediction.prediction.over25),
    );
    await assertAccessible("match");
    await screenshots("match");
  });

  it("team: the strength chart has an attack and a defence series with a point per model version", async () => {
    const teamId = fixture.homeTeam.id;
    const strength = await apiJson<{ data: Array<{ points: unknown[] }> }>(`/api/v1/teams/${teamId}/strength?league=E0`);
    await page.goto(`${api.baseUrl}/team/${teamId}?league=E0`);
    await page.waitForSelector("svg[data-chart] [data-series]");
    const series = page.locator("svg[data-chart] [data-series]");
    assert.deepEqual(await series.evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-series"))), ["Attack", "Defence"]);
    for (const name of ["Attack", "Defence"]) {
      assert.equal(await page.locator(`[data-series="${name}"] [data-point]`).count(), strength.data[0].points.length);
    }
    await page.waitForSelector("table.matches tbody tr");
    await assertAccessible("team");
    await screenshots("team");
  });

  it("model: versions and freshness, the RPS record and the calibration plot", async () => {
    // The record is computed on first request (seconds of fitting, answered 503 meanwhile): ready it first, so
    // the page meets no failed request.
    const record = await eventually(async () => {
      const response = await api.get("/api/v1/models/E0/record");
      return response.status === 200
        ? ((await response.json()) as {
            closingOdds: boolean;
            seasons: Array<{ rps: { closingOdds: number | null }; closingOddsSource: "stored" | "shipped" | null }>;
          })
        : undefined;
    }, 90_000, 500);
    await page.goto(`${api.baseUrl}/model?league=E0`);
    await page.waitForSelector("table.models tbody tr");
    await page.waitForSelector("table.record tbody tr");
    assert.equal(await page.locator("table.record tbody tr").count(), record.seasons.length);
    const charts = page.locator("svg[data-chart]");
    assert.equal(await charts.count(), 2);
    // The shipped closing-line figures cover every recent EPL season: the closing line is the third series.
    assert.equal(record.closingOdds, true);
    assert.ok(record.seasons.every((season) => season.rps.closingOdds !== null));
    assert.equal(await charts.nth(0).locator("[data-series]").count(), 3);
    assert.equal(await charts.nth(0).locator('[data-series="Closing odds"] [data-point]').count(), record.seasons.length);
    assert.equal(await charts.nth(0).locator("[data-series] [data-point]").count(), 3 * record.seasons.length);
    assert.equal(await page.locator("table.record tbody td", { hasText: "not in the data" }).count(), 0);
    // No odds are stored on a fresh clone: every figure is the shipped benchmark, and marked so.
    assert.ok(record.seasons.every((season) => season.closingOddsSource === "shipped"));
    assert.equal(await page.locator("table.record tbody td", { hasText: "†" }).count(), record.seasons.length);
    assert.equal(await charts.nth(1).locator("[data-series]").count(), 3);
    assert.ok((await charts.nth(1).locator("[data-point]").count()) > 3);
    await assertAccessible("model");
    await screenshots("model");
  });

  it("with the API stopped the page says it cannot reach the service", async () => {
    await page.goto(`${api.baseUrl}/?league=E0`);
    await page.waitForSelector("[data-match-id]");
    await api.stop();
    await page.getByRole("link", { name: "Model" }).click();
    const alert = page.getByRole("alert").first();
    await alert.waitFor();
    assert.match(await alert.innerText(), /cannot be reached/);
    await screenshots("api-down");
    // The failed requests are what this test is about.
    problems.list.splice(0);
  });
});
