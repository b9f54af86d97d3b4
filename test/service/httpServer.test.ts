import assert from "node:assert/strict";
import type { RequestListener, Server } from "node:http";
import { closeGracefully, listen, portOf, refusedRequestAction } from "../../service/src/runtime/httpServer";
import { rawExchange } from "../support/load";

// The requests Node's parser refuses: answered in the API's JSON error shape when the client may be waiting for an
// answer, never ahead of or instead of an answer the application is making; the connection then closed, not reset.

/** Answers every request 200 `ok` (a line, so a status line after it starts one) after 50 ms. */
const slowApp: { callback(): RequestListener } = {
  callback: () => (_request, response) => {
    setTimeout(() => response.end("ok\n"), 50);
  },
};

const request = (method: string, headers = "") => `${method} /api/v1/leagues HTTP/1.1\r\nHost: a\r\n${headers}\r\n`;

/** The JSON body of the last answer in a raw response. */
function lastBody(response: string): { error: { code: string; message: string } } {
  return JSON.parse(response.slice(response.lastIndexOf("\r\n\r\n") + 4)) as { error: { code: string; message: string } };
}

describe("HTTP server: requests Node cannot parse", () => {
  let server: Server;
  let port: number;

  before(async () => {
    server = await listen(slowApp, 0);
    port = portOf(server);
  });

  after(() => closeGracefully(server, 1_000));

  it("answers an unknown method on a kept-alive connection with a JSON 400 and closes the connection", async () => {
    const result = await rawExchange(port, [{ data: request("GET") }, { data: request("FOO"), delayMs: 150 }], 5_000);
    assert.deepEqual(result.statuses, [200, 400]);
    assert.equal(result.ended, "closed");
    assert.match(result.response, /\r\nConnection: close\r\n/);
    assert.match(result.response, /\r\nContent-Type: application\/json; charset=utf-8\r\n/);
    assert.equal(lastBody(result.response).error.code, "unparseable_request");
    assert.match(lastBody(result.response).error.message, /HPE_INVALID_METHOD/);
  });

  it("lets an answer the application is still making go out first, closing the connection after it", async () => {
    // One write: the GET is with the application for 50 ms when the parser refuses what came with it. Node's
    // default writes its 400 ahead of the application's answer and cuts the connection.
    const result = await rawExchange(port, [{ data: request("GET") + request("FOO") }], 5_000);
    assert.deepEqual(result.statuses, [200]);
    assert.match(result.response, /\r\nConnection: close\r\n/);
    assert.match(result.response, /\r\n\r\nok\n$/);
    assert.equal(result.ended, "closed");
  });

  it("answers a refused request after a complete kept-alive answer Node has not let go of yet", () => {
    // The state a client meets when it read an answer and sent its next request before this process was done with
    // that answer (Node's default sends nothing then, and the client sees its connection reset). It depends on the
    // order of events in one turn of the loop, so the rule is checked on its own.
    const answer = { writableFinished: true, shouldKeepAlive: true, headersSent: true, req: { complete: true } };
    assert.equal(refusedRequestAction(answer), "answer");
    assert.equal(refusedRequestAction(undefined), "answer");
    // After an answer that closes the connection the client expects nothing more, and while the application is
    // still answering, what the parser refused came with that request.
    assert.equal(refusedRequestAction({ ...answer, shouldKeepAlive: false }), "close");
    assert.equal(refusedRequestAction({ ...answer, writableFinished: false }), "close");
    const answering = { writableFinished: false, shouldKeepAlive: true, headersSent: false, req: { complete: true } };
    assert.equal(refusedRequestAction(answering), "close-after-previous");
    // A request whose own body the parser refused is answered, unless its answer has begun.
    assert.equal(refusedRequestAction({ ...answering, req: { complete: false } }), "answer");
    assert.equal(refusedRequestAction({ ...answering, headersSent: true, req: { complete: false } }), "close");
  });

  it("answers a header block over Node's 16 kB limit with a JSON 431", async () => {
    const result = await rawExchange(port, [{ data: request("GET", `X-Padding: ${"a".repeat(20_000)}\r\n`) }], 5_000);
    assert.deepEqual(result.statuses, [431]);
    assert.equal(lastBody(result.response).error.code, "headers_too_large");
  });
});
