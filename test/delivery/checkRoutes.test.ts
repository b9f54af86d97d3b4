// scripts/check-routes.sh, the deploy workflow's check that the public HTTPRoutes moved with a blue/green switch,
// against a stand-in kubectl that answers from a JSON file of routes (the cluster's answers to `get httproute`).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../support/processes";
import { TempDir } from "../support/tempDir";

const SCRIPT = path.join(REPO_ROOT, "scripts", "check-routes.sh");

/** A kubectl that prints `<backend> <Accepted> <ResolvedRefs>` fields of the named route from routes.json. */
const FAKE_KUBECTL = `#!/usr/bin/env node
const fs = require("node:fs");
const args = process.argv.slice(2);
const routes = JSON.parse(fs.readFileSync(process.env.ROUTES_FILE, "utf8"));
const route = routes[args[args.indexOf("httproute") + 1]] ?? {};
const jsonpath = args.find((a) => a.startsWith("-o")) === "-o" ? args[args.indexOf("-o") + 1] : "";
if (jsonpath.includes("backendRefs")) process.stdout.write(route.backend ?? "");
else if (jsonpath.includes('"Accepted"')) process.stdout.write(route.accepted ?? "");
else if (jsonpath.includes('"ResolvedRefs"')) process.stdout.write(route.resolved ?? "");
`;

describe("delivery: scripts/check-routes.sh", () => {
  let dir: TempDir;

  before(() => {
    dir = new TempDir("check-routes");
    chmodSync(dir.write("kubectl", FAKE_KUBECTL), 0o755);
  });

  after(() => dir.remove());

  function run(routes: Record<string, { backend?: string; accepted?: string; resolved?: string }>, ...args: string[]) {
    const file = path.join(dir.path, "routes.json");
    writeFileSync(file, JSON.stringify(routes));
    return spawnSync(SCRIPT, args, {
      encoding: "utf8",
      env: { ...process.env, PATH: `${dir.path}:${process.env.PATH}`, ROUTES_FILE: file, ROUTE_ATTEMPTS: "2", ROUTE_INTERVAL_SECONDS: "0" },
    });
  }

  const accepted = (backend: string) => ({ backend, accepted: "True", resolved: "True" });

  it("passes when both routes name the colour's Services and the Gateway accepted them", () => {
    const result = run({ api: accepted("api-green"), web: accepted("web-green") }, "football-prediction-prod", "green");
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, "HTTPRoute api: api-green, accepted\nHTTPRoute web: web-green, accepted\n");
  });

  it("fails, naming the route, when a route still points at the other colour", () => {
    const result = run({ api: accepted("api-green"), web: accepted("web-blue") }, "football-prediction-prod", "green");
    assert.equal(result.status, 1);
    assert.equal(result.stderr, "HTTPRoute web does not serve web-green: it names web-blue (Accepted: True, ResolvedRefs: True)\n");
  });

  it("fails when the Gateway has not resolved the route's backend", () => {
    const result = run({ api: { backend: "api-green", accepted: "True", resolved: "False" }, web: accepted("web-green") }, "ns", "green");
    assert.equal(result.status, 1);
    assert.equal(result.stderr, "HTTPRoute api does not serve api-green: it names api-green (Accepted: True, ResolvedRefs: False)\n");
  });

  it("refuses bad usage", () => {
    assert.equal(run({}, "only-a-namespace").status, 2);
  });
});
