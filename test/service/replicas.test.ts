import assert from "node:assert/strict";
import { seededDatabaseUrl } from "../support/databases";
import { eventually } from "../support/net";
import { REDIS_URL, uniqueRedisPrefix } from "../support/redisKeys";
import { type TestService, startTestService, testConfig, writeToken } from "../support/service";

interface PredictionJson {
  match: { id: number; status: string; score: { home: number; away: number } | null };
}

describe("API replicas sharing PostgreSQL and Redis", () => {
  let writer: TestService;
  let reader: TestService;

  before(async () => {
    const env = { DATABASE_URL: await seededDatabaseUrl(), REDIS_URL, CACHE_PREFIX: uniqueRedisPrefix() };
    writer = await startTestService(testConfig(env));
    reader = await startTestService(testConfig(env));
  });

  after(async () => {
    await Promise.all([writer?.stop(), reader?.stop()]);
  });

  const prediction = async (api: TestService, matchId: number) =>
    (await (await api.get(`/api/v1/predictions/${matchId}`)).json()) as PredictionJson;

  it("drops the predictions one replica holds in memory when a result is recorded through another", async () => {
    const token = await writeToken();
    const fixture = { league: "E0", season: "2025-2026", date: "2026-06-30", homeTeam: "Everton", awayTeam: "Fulham" };
    const created = await writer.send("POST", "/api/v1/matches", fixture, token);
    assert.equal(created.status, 201);
    const { id } = (await created.json()) as { id: number };
    // The first request computes and stores the prediction, the second leaves a copy in the reader's memory.
    assert.equal((await prediction(reader, id)).match.status, "scheduled");
    assert.equal((await prediction(reader, id)).match.status, "scheduled");

    const recorded = await writer.send("PUT", `/api/v1/matches/${id}/result`, { homeGoals: 2, awayGoals: 2 }, token);
    assert.equal(recorded.status, 200);
    assert.equal((await prediction(writer, id)).match.status, "played", "the writer reads its own write");
    const seen = await eventually(async () => {
      const body = await prediction(reader, id);
      return body.match.status === "played" ? body : undefined;
    }, 1_000, 5);
    assert.deepEqual(seen.match.score, { home: 2, away: 2 });
  });
});
