import assert from "node:assert/strict";
import net from "node:net";
import { seededDatabaseUrl } from "../support/databases";
import { prng } from "../support/load";
import { type ErrorBody, type TestService, startTestService, testConfig, writeToken } from "../support/service";

async function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.end(request));
    let response = "";
    socket.on("data", (chunk) => (response += chunk.toString("latin1")));
    socket.on("end", () => resolve(response));
    socket.on("error", reject);
  });
}

describe("bad input", () => {
  let api: TestService;
  let token: string;

  before(async () => {
    api = await startTestService(testConfig({ DATABASE_URL: await seededDatabaseUrl() }));
    token = await writeToken();
  });

  after(() => api?.stop());

  const expectError = async (response: Response, status: number, code?: string): Promise<ErrorBody> => {
    const text = await response.text();
    assert.equal(response.status, status, `${response.url}: ${text}`);
    assert.match(response.headers.get("content-type") ?? "", /application\/json/);
    const body = JSON.parse(text) as ErrorBody;
    if (code !== undefined) assert.equal(body.error.code, code, text);
    assert.ok(body.error.message.length > 0);
    assert.equal(body.error.requestId, response.headers.get("x-request-id"));
    return body;
  };

  it("400 for malformed path parameters, naming the parameter's problem", async () => {
    for (const path of [
      "/api/v1/matches/abc",
      "/api/v1/matches/0",
      "/api/v1/matches/-4",
      "/api/v1/matches/99999999999",
      "/api/v1/matches/%E0%A4%A",
      "/api/v1/teams/1.5",
      "/api/v1/leagues/e0",
      "/api/v1/leagues/TOOLONGCODE1",
      "/api/v1/predictions/1e3",
    ]) {
      const body = await expectError(await api.get(path), 400, "invalid_path");
      assert.match(body.error.message, /invalid path: path: /);
    }
  });

  it("400 for malformed queries, naming the field", async () => {
    const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const cases: Array<[string, string]> = [
      ["/api/v1/matches?limit=abc", "limit"],
      ["/api/v1/matches?limit=0", "limit"],
      ["/api/v1/matches?limit=2.5", "limit"],
      ["/api/v1/matches?from=2024-02-30", "from"],
      ["/api/v1/matches?from=24-01-01", "from"],
      ["/api/v1/matches?from=2024-05-01&to=2024-04-01", "from"],
      ["/api/v1/matches?cursor=not-a-cursor", "cursor"],
      [`/api/v1/matches?cursor=${Buffer.from('{"date":"x","id":1}').toString("base64url")}`, "cursor"],
      ["/api/v1/matches?status=finished", "status"],
      ["/api/v1/matches?league=E0&league=D1", "league"],
      ["/api/v1/matches?season=2024-2026", "season"],
      ["/api/v1/matches?colour=red", "colour"],
      ["/api/v1/teams?cursor=%FF", "cursor"],
      [`/api/v1/teams?cursor=${cursor("\u0000")}`, "cursor"],
      [`/api/v1/matches?cursor=${cursor({ date: "2024-01-01", id: 99_999_999_999 })}`, "cursor"],
      ["/api/v1/matches?from=0000-01-01", "from"],
      ["/api/v1/predictions?league=E0&home=Arsenal", "away"],
      ["/api/v1/predictions?league=E0&home=%00&away=Chelsea", "home"],
      [`/api/v1/predictions?league=E0&home=${"x".repeat(65)}&away=Chelsea`, "home"],
      ["/api/v1/predictions/5?debug=1", "debug"],
      ["/api/v1/ping?x=1", "x"],
    ];
    for (const [path, field] of cases) {
      const body = await expectError(await api.get(path), 400, "invalid_query");
      assert.ok(
        (body.error.details as Array<{ field: string }>).some((detail) => detail.field === field),
        `${path} should name ${field}: ${body.error.message}`,
      );
    }
  });

  it("400 naming the field for integers that are not plain decimal digits (finding 7)", async () => {
    for (const limit of ["1e2", "0x10", "%205", "5%20", "5.0", "+5", "-0", "0b11", "Infinity", "%EF%BC%95"]) {
      for (const endpoint of ["/api/v1/matches", "/api/v1/teams"]) {
        const body = await expectError(await api.get(`${endpoint}?limit=${limit}`), 400, "invalid_query");
        assert.deepEqual(
          (body.error.details as Array<{ field: string }>).map((detail) => detail.field),
          ["limit"],
          `${endpoint}?limit=${limit}: ${body.error.message}`,
        );
      }
    }
    assert.equal((await api.get("/api/v1/matches?limit=005")).status, 200);
  });

  it("415 for a JSON body declared in a charset other than UTF-8 (finding 7)", async () => {
    const post = (body: Buffer | string, contentType: string) =>
      api.get("/api/v1/models/refit", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": contentType },
        body,
      });
    const body = '{"league":"XX"}';
    for (const charset of ["utf-16", "UTF-16LE", "latin1", "iso-8859-1", "utf-32", "nonsense", '"utf-16"']) {
      const refused = await expectError(
        await post(Buffer.from(body, charset === "UTF-16LE" ? "utf16le" : "utf8"), `application/json; charset=${charset}`),
        415,
        "unsupported_media_type",
      );
      assert.match(refused.error.message, /UTF-8/);
    }
    await expectError(await post(body, "application/json;charset=utf-16;"), 415, "unsupported_media_type");
    // UTF-8, declared or not, goes through to validation (the league does not exist: 404).
    for (const contentType of ["application/json", "application/json; charset=utf-8", "application/json; charset=UTF-8"]) {
      await expectError(await post(body, contentType), 404, "not_found");
    }
  });

  it("404 with a JSON body for unknown routes, 405 with Allow for wrong methods", async () => {
    await expectError(await api.get("/api/v1/nothing-here"), 404, "not_found");
    await expectError(await api.get("/favicon.ico"), 404, "not_found");
    const wrongMethod = await api.get("/api/v1/matches", { method: "DELETE" });
    const body = await expectError(wrongMethod, 405, "method_not_allowed");
    assert.match(wrongMethod.headers.get("allow") ?? "", /GET/);
    assert.match(body.error.message, /DELETE/);
    // A method no route is registered under at all is the client's mistake too: 405, not a 5xx.
    const unknownMethod = await api.get("/api/v1/leagues", { method: "PROPFIND" });
    await expectError(unknownMethod, 405, "method_not_allowed");
    assert.match(unknownMethod.headers.get("allow") ?? "", /GET/);
  });

  it("4xx for malformed bodies: invalid JSON, wrong media type, too large, wrong shape", async () => {
    const post = (body: string, contentType: string) =>
      api.get("/api/v1/matches", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": contentType },
        body,
      });
    await expectError(await post("{not json", "application/json"), 400, "invalid_json");
    await expectError(await post("league=E0", "application/x-www-form-urlencoded"), 415, "unsupported_media_type");
    await expectError(await post("{}", "text/plain"), 415, "unsupported_media_type");
    const tooLarge = JSON.stringify({ pad: "x".repeat(20_000) });
    await expectError(await post(tooLarge, "application/json"), 413, "payload_too_large");
    await expectError(await post("[1,2,3]", "application/json"), 400, "invalid_body");
    await expectError(await post('"a string"', "application/json"), 400);
    await expectError(await post("null", "application/json"), 400);
    const extra = await expectError(
      await post(
        JSON.stringify({
          league: "E0",
          season: "2026-2027",
          date: "2026-09-01",
          homeTeam: "A",
          awayTeam: "B",
          admin: true,
        }),
        "application/json",
      ),
      400,
      "invalid_body",
    );
    assert.match(extra.error.message, /admin/);
    const result = await api.send("PUT", "/api/v1/matches/1/result", { homeGoals: "2", awayGoals: null }, token);
    const goals = await expectError(result, 400, "invalid_body");
    assert.match(goals.error.message, /homeGoals/);
    assert.match(goals.error.message, /awayGoals/);
  });

  it("ignores an Authorization header on reads", async () => {
    assert.equal((await api.get("/api/v1/ping", { headers: { authorization: "Bearer garbage" } })).status, 200);
  });

  it("answers raw malformed HTTP with a 4xx", async () => {
    const responses = await Promise.all([
      rawRequest(api.service.port, "GET /api/v1/matches/%%% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
      rawRequest(api.service.port, "GET /api/v1/matches?limit=%ZZ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
      rawRequest(api.service.port, "BREW /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
      rawRequest(api.service.port, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"),
      rawRequest(api.service.port, "NOT HTTP AT ALL\r\n\r\n"),
    ]);
    for (const response of responses) assert.match(response, /^HTTP\/1\.1 4\d\d /, response.slice(0, 200));
  });

  it("never answers a fuzzed request with a 5xx", async function fuzz() {
    this.timeout(60_000);
    const next = prng(20261123);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
    const pieces = ["a", "Z", "0", "9", "-", "_", ".", "%", "%00", "%FF", "%E2%82", "é", "'", '"', "<", " ", "/"];
    pieces.push("..", "\\", "null", "[]", "{}", "1e9", "-1", "2024-13-45");
    const junk = () => Array.from({ length: Math.floor(next() * 12) }, () => pick(pieces)).join("");
    const encode = (text: string) => encodeURIComponent(text).replace(/%25/g, pick(["%25", "%"]));
    const paths = [
      () => `/api/v1/matches/${encode(junk())}`,
      () => `/api/v1/teams/${encode(junk())}`,
      () => `/api/v1/leagues/${encode(junk())}`,
      () => `/api/v1/predictions/${encode(junk())}`,
      () => `/api/v1/matches/${encode(junk())}/result`,
      () => `/api/v1/${encode(junk())}`,
      () => "/api/v1/matches",
      () => "/api/v1/teams",
      () => "/api/v1/predictions",
      () => "/api/v1/models/refit",
    ];
    const keys = ["league", "season", "team", "from", "to", "status", "order", "limit", "cursor", "home", "away"];
    const parameter = () => `${encode(pick([...keys, junk()]))}=${encode(pick(["E0", "Arsenal", junk()]))}`;
    const query = () => Array.from({ length: Math.floor(next() * 4) }, parameter).join("&");
    const bodies = [
      () => undefined,
      () => junk(),
      () =>
        JSON.stringify({
          league: pick(["E0", junk()]),
          season: junk(),
          date: junk(),
          homeTeam: junk(),
          awayTeam: junk(),
        }),
      () => JSON.stringify({ homeGoals: pick([1, -1, 1.5, "1", null, 1e9]), awayGoals: pick([0, [], {}]) }),
      () => JSON.stringify(pick([null, [], 1, "x", { league: junk() }])),
    ];
    const failures: string[] = [];
    for (let i = 0; i < 400; i++) {
      const method = pick(["GET", "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]);
      const path = `${pick(paths)()}${next() < 0.6 ? `?${query()}` : ""}`;
      const body = method === "GET" || method === "HEAD" ? undefined : pick(bodies)();
      const headers: Record<string, string> = {};
      if (next() < 0.5) {
        headers.authorization = pick([`Bearer ${token}`, "Bearer x.y.z", junk()]).replace(/[^\x20-\x7e]/g, "");
      }
      if (body !== undefined) {
        headers["content-type"] = pick(["application/json", "text/plain", "application/json; charset=latin1"]);
      }
      let status: number;
      try {
        status = (await fetch(`${api.baseUrl}${path}`, { method, headers, body })).status;
      } catch (error) {
        failures.push(`${method} ${path}: client refused to send (${(error as Error).message})`);
        continue;
      }
      if (status >= 500) failures.push(`${method} ${path} ${body ?? ""} -> ${status}`);
    }
    assert.deepEqual(failures.filter((failure) => !failure.includes("client refused")), []);
  });
});
