import assert from "node:assert/strict";
import path from "node:path";
import { freePort } from "../support/net";
import { REPO_ROOT } from "../support/processes";
import { TempDir } from "../support/tempDir";
import { checkDocuments } from "./check";
import { configKeyProblem, projectAt } from "./configKeys";
import { readMarkdown, slugger } from "./markdown";
import { parsePlan } from "./plan";
import { formatProblems } from "./problems";
import { commandsOf, simpleCommands } from "./shell";

const FIXTURES = path.join(__dirname, "fixtures");

/** The README test's own machinery on fixture documents, run from the repository root as the real one is. */
async function check(fixture: string): Promise<string[]> {
  const runDir = new TempDir("fp-readme-fixture-");
  try {
    const problems = await checkDocuments({
      entry: path.join(FIXTURES, fixture),
      workDir: REPO_ROOT,
      env: { ...process.env, FIXTURE_PORT: String(await freePort()) },
      runDir: runDir.path,
      commandTimeoutMs: 30_000,
      readyTimeoutMs: 15_000,
      stopGraceMs: 5_000,
    });
    return formatProblems(problems, FIXTURES)
      .split("\n")
      .filter((line) => /^\S+\.md:\d+: /.test(line));
  } finally {
    runDir.remove();
  }
}

describe("readme test: the machinery, on fixtures", () => {
  it("passes a document whose commands, expectations, servers, links and anchors all work", async () => {
    assert.deepEqual(await check("good.md"), []);
  });

  it("reports each example broken on purpose, at its line", async () => {
    const port = /:\d+\//;
    const reported = (await check("broken.md")).map((line) => line.replace(port, ":PORT/"));
    assert.deepEqual(reported, [
      'broken.md:3: link "missing.md": test/readme/fixtures/missing.md does not exist',
      'broken.md:4: link "#no-such-heading": no heading or anchor "no-such-heading" in test/readme/fixtures/broken.md',
      'broken.md:4: link "other.md#no-such-heading": no heading or anchor "no-such-heading" in test/readme/fixtures/other.md',
      "broken.md:10: `ls no-such-file`: exit status 2, expected 0",
      "broken.md:15: marker rule `echo unused` matches no command of the block",
      "broken.md:19: `node -e 'console.log(JSON.stringify({ answer: 41 }))'`: JSON answer is 41, expected 42",
      'broken.md:24: `curl -s "localhost:$FIXTURE_PORT/missing"`: HTTP 404 (an error status; say `http <status>` if it is the point)',
      "broken.md:31: `node -e 'process.exit(3)'`: exited (status 3) before http://127.0.0.1:PORT/health answered 200",
      "broken.md:35: has a <placeholder>: give it a value that works here, or mark it `needs`/`skip:`",
      "broken.md:36: needs cluster; its marker says nothing (see test/readme/README.md)",
      "broken.md:43: `node test/readme/fixtures/server.mjs --unclean-exit` exited with status 1 after SIGTERM",
      'broken.md:50: config key path "backups.nope" has no field "backups.nope" in project football-prediction',
      'broken.md:51: config key "blueGreen.active": the value "purple" is refused (Invalid option: expected one of "blue"|"green")',
      'broken.md:52: "policy/config/qa.json" does not exist',
      'broken.md:52: stack "qa" has no config file stacks/Pulumi.qa.yaml',
      'broken.md:53: npm script "no-such-script" does not exist in package.json',
      'broken.md:54: "deploy/*.yaml" matches no file',
      'broken.md:57: marked "needs docker", but its commands need nothing this machine lacks: run them',
      "broken.md:62: readme-test marker not directly followed by a shell block (```sh)",
    ]);
  });
});

describe("readme test: reading the documents", () => {
  it("makes GitHub's heading anchors", () => {
    const slug = slugger();
    assert.equal(slug("Runbook: restoring production"), "runbook-restoring-production");
    assert.equal(slug("Migrations: what a rollback does not undo"), "migrations-what-a-rollback-does-not-undo");
    assert.equal(slug("Section two, with code!"), "section-two-with-code");
    assert.equal(slug("Runbook: restoring production"), "runbook-restoring-production-1");
    assert.ok(readMarkdown(path.join(FIXTURES, "other.md")).anchors.has("custom-anchor"));
  });

  it("splits a block into commands across continuations, quotes and pipes, without comments", () => {
    const block = {
      file: "x.md",
      line: 10,
      lines: ["# a comment", "echo one \\", "  two   # trailing", "kubectl get job -o json \\", "  | jq '.a", "      | .b'", "", "ls"],
    };
    const commands = commandsOf(block);
    assert.deepEqual(
      commands.map((c) => [c.line, c.text]),
      [
        [12, "echo one two"],
        [14, "kubectl get job -o json | jq '.a | .b'"],
        [18, "ls"],
      ],
    );
    assert.deepEqual(
      simpleCommands("for c in a b; do kubectl patch cronjob $c; done && TOKEN=$(npm run --silent token) x=1 git push").map((c) => c.words[0]),
      ["kubectl", "npm", "git"],
    );
  });

  it("parses markers and names the line of a malformed one", () => {
    const plan = parsePlan({ line: 5, text: "\nwhile `npm run service` serves :8000/ready\n`curl -X POST`: http 201, json id # created\n" });
    assert.deepEqual(plan.during, [{ command: "npm run service", serves: { port: "8000", path: "/ready" } }]);
    assert.deepEqual(plan.rules[0].expectations, [{ kind: "http", status: 201 }, { kind: "json", path: "id" }]);
    assert.throws(() => parsePlan({ line: 5, text: "\n`curl`: status 201\n" }), { line: 6, message: /unknown expectation/ });
    assert.throws(() => parsePlan({ line: 5, text: " needs kubernetes" }), /needs.*not kubernetes/);
  });

  it("checks config keys against each Pulumi project's schema", () => {
    const environment = projectAt(REPO_ROOT, REPO_ROOT);
    const platform = projectAt(path.join(REPO_ROOT, "platform"), REPO_ROOT);
    assert.ok(environment !== undefined && platform !== undefined);
    assert.equal(configKeyProblem(environment, "secrets.rotation.jwtSecret", true, "2026-11-23"), undefined);
    assert.equal(configKeyProblem(environment, "backups.s3.cidrs[0]", true, "10.20.0.0/24"), undefined);
    assert.equal(configKeyProblem(environment, "football-prediction:kubeContext", false), undefined);
    assert.match(configKeyProblem(environment, "secrets.rotation.sshKey", true) ?? "", /no field "secrets.rotation.sshKey"/);
    assert.match(configKeyProblem(environment, "api.maxReplicas", true, 0) ?? "", /refused/);
    assert.match(configKeyProblem(environment, "kubeContexts", false) ?? "", /not declared in .*Pulumi.yaml/);
    assert.equal(configKeyProblem(platform, "certManager.acme.email", true), undefined);
    assert.match(configKeyProblem(platform, "image.tag", true) ?? "", /not declared/);
  });
});
