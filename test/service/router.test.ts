import assert from "node:assert/strict";
import http from "node:http";
import { seededDatabaseUrl } from "../support/databases";
import { metricValue } from "../support/metrics";
import { type ErrorBody, type TestService, startTestService, testConfig } from "../support/service";

/** A request fetch refuses to send (TRACE is a forbidden method there). */
function rawMethod(port: number, method: string, path: string): Promise<{ status: number; allow?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: "127.0.0.1", port, method, path }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, allow: response.headers.allow, body }));
    });
    request.on("error", reject);
    request.end();
  });
}

describe("router (service/src/http/router.ts)", () => {
  let api: TestService;

  before(async () => {
    api = await startTestService(testConfig({ DATABASE_URL: await seededDatabaseUrl() }));
  });

  after(() => api?.stop());

  const expectJsonError = async (response: Response, status: number, code: string): Promise<ErrorBody> => {
    const text = await response.text();
    assert.equal(response.status, status, `${response.url}: ${text}`);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    const body = JSON.parse(text) as ErrorBody;
    assert.equal(body.error.code, code, text);
    assert.equal(body.error.requestId, response.headers.get("x-request-id"));
    return body;
  };

  const league = async (path: string): Promise<string> => {
    const response = await api.get(path);
    const text = await response.text();
    assert.equal(response.status, 200, `${path}: ${text}`);
    return (JSON.parse(text) as { code: string }).code;
  };

  it("answers a method a path is not served under with 405, Allow listing the path's methods, and a JSON body", async () => {
    const deleted = await api.get("/api/v1/matches", { method: "DELETE" });
    assert.equal(deleted.headers.get("allow"), "HEAD, GET, POST");
    const body = await expectJsonError(deleted, 405, "method_not_allowed");
    assert.equal(body.error.message, "DELETE is not allowed here; allowed: HEAD, GET, POST");

    const put = await api.get("/api/v1/matches/1", { method: "PUT" });
    assert.equal(put.headers.get("allow"), "HEAD, GET");
    await expectJsonError(put, 405, "method_not_allowed");

    const read = await api.get("/api/v1/models/refit");
    assert.equal(read.headers.get("allow"), "POST");
    await expectJsonError(read, 405, "method_not_allowed");

    // Methods find-my-way keeps no tree for: 405 as well, never a 5xx.
    for (const method of ["PROPFIND", "TRACE"]) {
      const answer = await rawMethod(api.service.port, method, "/api/v1/leagues");
      assert.equal(answer.status, 405, `${method}: ${answer.body}`);
      assert.equal(answer.allow, "HEAD, GET");
      assert.equal((JSON.parse(answer.body) as ErrorBody).error.code, "method_not_allowed");
    }

    // The ops port's router too (GET and HEAD /health are answered ahead of it).
    const posted = await api.ops("/health", { method: "POST" });
    assert.equal(posted.headers.get("allow"), "HEAD, GET");
    await expectJsonError(posted, 405, "method_not_allowed");
  });

  it("answers OPTIONS with 200 and Allow for a known path, and 404 for an unknown one", async () => {
    const options = await api.get("/api/v1/matches", { method: "OPTIONS" });
    assert.equal(options.status, 200);
    assert.equal(options.headers.get("allow"), "HEAD, GET, POST");
    assert.equal(await options.text(), "");
    const result = await api.get("/api/v1/matches/7/result", { method: "OPTIONS" });
    assert.equal(result.status, 200);
    assert.equal(result.headers.get("allow"), "PUT");
    await expectJsonError(await api.get("/api/v1/nothing-here", { method: "OPTIONS" }), 404, "not_found");
  });

  it("answers HEAD on a GET route with GET's headers and no body", async () => {
    const got = await api.get("/api/v1/leagues");
    const gotBody = await got.arrayBuffer();
    const head = await api.get("/api/v1/leagues", { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.match(head.headers.get("content-type") ?? "", /^application\/json/);
    assert.equal(head.headers.get("content-length"), String(gotBody.byteLength));
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    const refused = await api.get("/api/v1/models/refit", { method: "HEAD" });
    assert.equal(refused.status, 405);
    assert.equal(refused.headers.get("allow"), "POST");
  });

  it("matches a path with one trailing slash", async () => {
    assert.equal((await api.get("/api/v1/ping/")).status, 200);
    assert.equal(await league("/api/v1/leagues/E0/"), "E0");
    await expectJsonError(await api.get("/api/v1/ping//"), 404, "not_found");
  });

  it("matches paths whatever their letter case, parameters keeping theirs", async () => {
    assert.equal(await league("/API/V1/Leagues/E0"), "E0");
    // The parameter is not lowercased with the path: e0 is no league code.
    const lower = await expectJsonError(await api.get("/api/v1/LEAGUES/e0"), 400, "invalid_path");
    assert.match(lower.error.message, /league code/);
  });

  it("URI-decodes parameters", async () => {
    assert.equal(await league("/api/v1/leagues/%45%30"), "E0");
    assert.equal(await league("/api/v1/leagues/%45%30/"), "E0");
    // An encoded slash stays inside its parameter instead of splitting the path.
    await expectJsonError(await api.get("/api/v1/matches/1%2Fresult"), 400, "invalid_path");
  });

  it("answers a malformed percent-encoding with a 4xx JSON error, not a 5xx", async () => {
    for (const path of ["/api/v1/matches/%E0%A4%A", "/api/v1/leagues/%ZZ", "/api/v1/teams/%", "/api/v1/leagues/E%C0/"]) {
      const body = await expectJsonError(await api.get(path), 400, "invalid_path");
      assert.match(body.error.message, /invalid path/);
    }
    const wrongMethod = await api.get("/api/v1/matches/%E0", { method: "DELETE" });
    assert.equal(wrongMethod.headers.get("allow"), "HEAD, GET");
    await expectJsonError(wrongMethod, 405, "method_not_allowed");
    await expectJsonError(await api.get("/api/v1/%E0%A4%A"), 404, "not_found");
  });

  it("passes unknown paths on: 404 with a JSON body, whatever the method", async () => {
    const body = await expectJsonError(await api.get("/api/v1/nothing-here"), 404, "not_found");
    assert.equal(body.error.message, "no route for GET /api/v1/nothing-here");
    await expectJsonError(await api.get("/api/v1/matchesx"), 404, "not_found");
    await expectJsonError(await api.get("/api/v1/matches/1/result/x", { method: "PUT" }), 404, "not_found");
    await expectJsonError(await api.get("/api/v1/nothing-here", { method: "PROPFIND" }), 404, "not_found");
  });

  it("labels the request metrics with the route's pattern, not the requested path", async () => {
    const series = (route: string) => `http_requests_total{method="GET",route="${route}",status="200"}`;
    const before = metricValue(await (await api.ops("/metrics")).text(), series("/api/v1/leagues/:code"));
    await league("/api/v1/leagues/E0");
    await league("/API/V1/LEAGUES/E0/");
    await expectJsonError(await api.get("/api/v1/leagues", { method: "DELETE" }), 405, "method_not_allowed");
    const metrics = await (await api.ops("/metrics")).text();
    assert.equal(metricValue(metrics, series("/api/v1/leagues/:code")), before + 2);
    assert.doesNotMatch(metrics, /route="\/api\/v1\/leagues\/E0/i);
    assert.ok(metricValue(metrics, 'http_requests_total{method="DELETE",route="unmatched",status="405"}') >= 1);
  });
});
