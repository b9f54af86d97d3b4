import assert from "node:assert/strict";
import path from "node:path";
import { REPO_ROOT, runUnchecked } from "../support/processes";

const LOGGER = path.join(REPO_ROOT, "service/src/logger.ts");

/** Runs `body` in a Node process of its own with the service's stdout logger as `logger`; its output. */
function withLogger(body: string) {
  const script = `const logger = require(${JSON.stringify(LOGGER)}).createLogger("info");\n${body}`;
  return runUnchecked(process.execPath, ["-r", "ts-node/register", "-e", script], {
    cwd: REPO_ROOT,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "1" },
  });
}

const messages = (output: string) =>
  output
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => (JSON.parse(line) as { msg: string }).msg);

describe("the logger's buffered stdout", () => {
  it("holds a line back instead of writing it at once: a process killed right after logging wrote nothing", async () => {
    const { code, output } = await withLogger(`logger.info("held"); process.kill(process.pid, "SIGKILL");`);
    assert.equal(code, null);
    assert.equal(output, "");
  });

  it("writes what it holds within a second, without waiting for more lines", async () => {
    const { output } = await withLogger(
      `logger.info("flushed by the timer"); setTimeout(() => process.kill(process.pid, "SIGKILL"), 2500);`,
    );
    assert.deepEqual(messages(output), ["flushed by the timer"]);
  });

  it("writes every line it holds when the process exits, as the signal handlers' process.exit does", async () => {
    const { code, output } = await withLogger(
      `for (let i = 0; i < 5000; i++) logger.info({ i }, "line " + i); process.exit(3);`,
    );
    assert.equal(code, 3);
    assert.deepEqual(
      messages(output),
      Array.from({ length: 5000 }, (_, i) => `line ${i}`),
    );
  });

  it("writes lines with multi-byte characters whole, each with an ISO time", async () => {
    const { output } = await withLogger(
      `for (let i = 0; i < 3000; i++) logger.info({ team: "Bayern München", i }, "Atlético " + i); process.exit(0);`,
    );
    const lines = output.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(lines.length, 3000);
    lines.forEach((line, i) => {
      assert.equal(line.msg, `Atlético ${i}`);
      assert.equal(line.team, "Bayern München");
      assert.match(String(line.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });
  });
});
