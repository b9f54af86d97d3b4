import { strict as assert } from "node:assert";
import { type Server, createServer } from "node:http";
import { LAYERS, layeredApp } from "../../bench/layers";
import { listen } from "../support/net";
import { silentLogger } from "../support/service";

/** Serves the first `count` layers and answers one request for a body of `bytes`. */
async function answerOf(count: number, bytes: number) {
  const server: Server = createServer((await layeredApp(count, silentLogger)).callback());
  try {
    const response = await fetch(`${await listen(server)}/bytes/${bytes}`);
    return { status: response.status, headers: response.headers, body: await response.text() };
  } finally {
    server.close();
  }
}

describe("bench: the service's middleware in layers", () => {
  it("answers the yardstick's body behind each count of layers, each layer adding its own headers", async () => {
    const bare = await answerOf(0, 100);
    assert.equal(bare.status, 200);
    assert.equal(Buffer.byteLength(bare.body), 100);
    assert.equal(bare.headers.get("content-type"), "application/json; charset=utf-8");
    assert.equal(bare.headers.get("x-request-id"), null);

    const observed = await answerOf(1, 100);
    assert.match(observed.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(observed.headers.get("content-security-policy"), null);

    const all = await answerOf(LAYERS.length, 2_000);
    assert.equal(all.status, 200);
    assert.equal(Buffer.byteLength(all.body), 2_000);
    assert.equal(all.headers.get("content-security-policy"), "default-src 'none';frame-ancestors 'none'");
    assert.equal(all.headers.get("x-content-type-options"), "nosniff");
  });

  it("refuses a count of layers it does not have, naming the setting", async () => {
    await assert.rejects(layeredApp(LAYERS.length + 1, silentLogger), /LAYERS must be a whole number from 0 to 5/);
    await assert.rejects(layeredApp(Number.NaN, silentLogger), /LAYERS must be a whole number/);
  });
});
