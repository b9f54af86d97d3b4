import assert from "node:assert/strict";
import path from "node:path";
import pino from "pino";
import { LOG_WRITE_BYTES, LineChunks, createLogger, writeMembers } from "../../service/src/logger";
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

  it(`holds lines back until ${LOG_WRITE_BYTES / 1024} kB are buffered, then writes what it holds in one go`, async () => {
    // Lines of about 210 bytes: 80% of LOG_WRITE_BYTES is held back (a smaller chunk size would have written most
    // of it in the 300 ms before the kill). Twice as many lines: the first write takes the lines up to the one that
    // filled the chunk, and those after it wait for the next chunk or the timer.
    const lines = Math.floor((LOG_WRITE_BYTES * 0.8) / 210);
    const log = (count: number) => `for (let i = 0; i < ${count}; i++) logger.info({ pad: "x".repeat(100) }, "line " + i);`;
    const killedSoon = `setTimeout(() => process.kill(process.pid, "SIGKILL"), 300);`;
    const held = await withLogger(`${log(lines)} ${killedSoon}`);
    assert.equal(held.output, "");
    const { output } = await withLogger(`${log(lines * 2)} ${killedSoon}`);
    const written = messages(output);
    const bytes = Buffer.byteLength(output);
    assert.ok(bytes >= LOG_WRITE_BYTES && bytes < LOG_WRITE_BYTES + 210, `${bytes} bytes written`);
    assert.ok(written.length < lines * 2, `all ${written.length} lines written`);
    assert.deepEqual(
      written,
      Array.from({ length: written.length }, (_, i) => `line ${i}`),
    );
  });

  it("writes what it holds within a second, without waiting for more lines", async () => {
    const { output } = await withLogger(
      `logger.info("flushed by the timer"); setTimeout(() => process.kill(process.pid, "SIGKILL"), 2500);`,
    );
    assert.deepEqual(messages(output), ["flushed by the timer"]);
  });

  it("writes its last line when the process exits right after it, as a failed command does", async () => {
    const { code, output } = await withLogger(`logger.error("import failed: HTTP 500"); process.exit(1);`);
    assert.equal(code, 1);
    assert.deepEqual(messages(output), ["import failed: HTTP 500"]);
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

describe("LineChunks: lines encoded into chunks", () => {
  function collecting() {
    const chunks: Buffer[] = [];
    return { chunks, lines: new LineChunks((chunk) => chunks.push(chunk)) };
  }
  const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString("utf8");

  it("hands on a chunk once it holds LOG_WRITE_BYTES, each ending on a whole line, and keeps the rest until flushed", () => {
    const { chunks, lines } = collecting();
    const written = Array.from({ length: 3000 }, (_, i) => `{"msg":"Atlético ${i}","team":"Bayern München"}\n`);
    for (const line of written) lines.write(line);
    assert.ok(chunks.length >= 2, `${chunks.length} chunks`);
    for (const chunk of chunks) {
      assert.ok(chunk.length >= LOG_WRITE_BYTES && chunk.length < LOG_WRITE_BYTES + 60, `${chunk.length} bytes`);
      assert.equal(chunk.at(-1), 0x0a);
    }
    const handedOn = text(chunks);
    lines.flush();
    assert.equal(text(chunks), written.join(""));
    assert.ok(handedOn.length < written.join("").length);
  });

  it("never writes into a chunk it has handed on (sonic-boom writes it later)", () => {
    const { chunks, lines } = collecting();
    lines.write("first\n");
    lines.flush();
    const copy = Buffer.from(chunks[0]);
    for (let i = 0; i < 5000; i++) lines.write(`line ${i}\n`);
    lines.flush();
    assert.deepEqual(chunks[0], copy);
  });

  it("hands on a line too long for a chunk by itself, after the lines before it, and nothing when it holds nothing", () => {
    const { chunks, lines } = collecting();
    const long = `${"é".repeat(LOG_WRITE_BYTES)}\n`;
    lines.write("before\n");
    lines.write(long);
    lines.write("after\n");
    lines.flush();
    lines.flush();
    assert.deepEqual(
      chunks.map((chunk) => chunk.toString("utf8")),
      ["before\n", long, "after\n"],
    );
  });
});

describe("writeMembers: a line of fields already JSON, as pino writes them", () => {
  /** A logger of the service's configuration writing into `lines`. */
  function capturing(level = "info") {
    const lines: string[] = [];
    const logger = createLogger(level, { write: (line: string) => lines.push(line) });
    return { logger, lines };
  }
  const withoutTime = (line: string) => line.replace(/"time":"[^"]*"/, '"time":"T"');

  const fields = { reqId: "7d1c", clientReqId: "client-1", method: "GET", url: '/api/v1/x?q="é\\n', status: 404, ms: 1.5 };
  const members = Object.entries(fields)
    .map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`)
    .join(",");

  it("writes the very line pino writes for the same object: level, time, bindings, fields in order, msg", () => {
    const { logger, lines } = capturing();
    logger.info(fields, "request");
    writeMembers(logger, "info", members, "request");
    assert.equal(lines.length, 2);
    assert.equal(withoutTime(lines[1]), withoutTime(lines[0]));
    assert.match(lines[1], /^\{"level":"info","time":"\d{4}-\d\d-\d\dT[\d:.]+Z","service":"football-prediction","reqId"/);
    assert.ok(lines[1].endsWith('"msg":"request"}\n'));
  });

  it("carries a child logger's bindings and the level asked for", () => {
    const { logger, lines } = capturing("debug");
    const child = logger.child({ component: "api" });
    child.debug(fields, "request");
    writeMembers(child, "debug", members, "request");
    assert.equal(withoutTime(lines[1]), withoutTime(lines[0]));
    assert.equal((JSON.parse(lines[1]) as { component: string; level: string }).component, "api");
    assert.equal((JSON.parse(lines[1]) as { level: string }).level, "debug");
  });

  it("hands the line to pino where the stream wants pino's metadata (multistream), which routes it by level", () => {
    const infoLines: string[] = [];
    const errorLines: string[] = [];
    const streams = pino.multistream([
      { level: "info", stream: { write: (line: string) => infoLines.push(line) } },
      { level: "error", stream: { write: (line: string) => errorLines.push(line) } },
    ]);
    const logger = createLogger("info", streams);
    writeMembers(logger, "info", members, "request");
    writeMembers(logger, "error", members, "failed");
    assert.deepEqual(
      infoLines.map((line) => (JSON.parse(line) as { msg: string }).msg),
      ["request", "failed"],
    );
    assert.deepEqual(errorLines.map((line) => JSON.parse(line) as object), [
      { level: "error", time: (JSON.parse(errorLines[0]) as { time: string }).time, service: "football-prediction", ...fields, msg: "failed" },
    ]);
  });
});
