import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../service/src/config";

/** The IMPORT_* variables are validated with the rest of the configuration, each error naming its variable. */
describe("importer: configuration", () => {
  const rejects = (env: Record<string, string>, problem: RegExp) =>
    assert.throws(() => loadConfig(env), (error: Error) => error instanceof ConfigError && problem.test(error.message));

  it("reads IMPORT_LEAGUES as league:source:code entries, with the sources' base URLs", () => {
    const config = loadConfig({
      IMPORT_LEAGUES: "E0:openfootball:en.1, D1:football-data-api:BL1,SP1:football-data-csv:SP1",
      FOOTBALL_DATA_API_KEY: "0123456789abcdef0123456789abcdef",
      OPENFOOTBALL_BASE_URL: "file:///srv/mirror/football.json",
    });
    assert.deepEqual(config.importer.leagues, [
      { league: "E0", source: "openfootball", code: "en.1" },
      { league: "D1", source: "football-data-api", code: "BL1" },
      { league: "SP1", source: "football-data-csv", code: "SP1" },
    ]);
    assert.equal(config.importer.baseUrls.openfootball, "file:///srv/mirror/football.json");
    assert.equal(config.importer.baseUrls.footballDataApi, "https://api.football-data.org/v4");
    assert.deepEqual([config.importer.intervalMs, config.importer.maxFailureRatio, config.importer.season], [0, 0.2, undefined]);
  });

  it("names the variable of a bad entry, a repeated league, a missing key or a bad URL, never the key's value", () => {
    rejects({ IMPORT_LEAGUES: "E0:bbc:x" }, /IMPORT_LEAGUES: "E0:bbc:x" is not <league>:<source>:<code>/);
    rejects({ IMPORT_LEAGUES: "E0:openfootball:en.1,E0:openfootball:en.1" }, /IMPORT_LEAGUES: names league E0 twice/);
    rejects({ IMPORT_LEAGUES: "E0:football-data-api:PL" }, /FOOTBALL_DATA_API_KEY: is required when IMPORT_LEAGUES names the football-data-api source/);
    rejects({ FOOTBALL_DATA_API_KEY: "not a token!" }, /FOOTBALL_DATA_API_KEY: must be the API token/);
    rejects({ OPENFOOTBALL_BASE_URL: "ftp://example.org" }, /OPENFOOTBALL_BASE_URL: must be a URL starting with https:\/\/ or http:\/\/ or file:\/\//);
    rejects({ IMPORT_SEASON: "2026-2028" }, /IMPORT_SEASON: must span two consecutive years/);
    assert.throws(
      () => loadConfig({ FOOTBALL_DATA_API_KEY: "secret-value-!" }),
      (error: Error) => !error.message.includes("secret-value"),
    );
  });

  it("needs no JWT_SECRET for a command that never signs or checks a token", () => {
    assert.throws(() => loadConfig({ APP_ENV: "prod" }), /JWT_SECRET: is required when APP_ENV is prod/);
    assert.equal(loadConfig({ APP_ENV: "prod" }, { needsJwtSecret: false }).appEnv, "prod");
  });
});
