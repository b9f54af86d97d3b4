import { type RequestListener, STATUS_CODES, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { JSON_CONTENT_TYPE } from "../http/context";

/** Longer than the idle timeout of the load balancers in front, so they never reuse a socket Node just closed. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
const REQUEST_TIMEOUT_MS = 30_000;

/** How long a connection refused for a request Node cannot parse may stay open for the answer to be read. */
const REFUSED_CONNECTION_LINGER_MS = 5_000;

/** Node's parser errors that have an answer of their own; anything else it cannot parse is a 400. */
const UNPARSEABLE_ANSWERS: Readonly<Record<string, { status: number; code: string }>> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: "headers_too_large" },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, code: "chunk_extensions_too_large" },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: "request_timeout" },
};
const UNPARSEABLE = { status: 400, code: "unparseable_request" };

/** The response Node's server has attached to a connection (Node's own socketOnError decides by it too). */
const attachedResponse = (socket: Socket) => (socket as { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined;

/**
 * Answers a request Node's parser refuses (an unknown method, a malformed header, a header block over 16 kB) with
 * the API's JSON error shape, then closes the connection. Where the connection carried an answer before, the
 * refused bytes may be a new request (the client read that answer and sent the next one) or the rest of the
 * previous request (a body longer than it said); only the first expects an answer, so the rule follows from when
 * they arrived (Node's own rule, _http_server.js socketOnError, writes nothing once a response is attached):
 * - no answer attached to the connection (none yet, or the last one is done with): the refused request is answered;
 * - the previous answer was complete, handed to the kernel, and kept the connection open: the client may well
 *   have read it and sent the next request before this process let go of that answer (Node sent nothing then,
 *   and the client saw its connection reset), so the refused request is answered;
 * - the request being answered is still arriving: the parser refused its own body (a bad chunk, a body cut
 *   short), so that request is answered, unless its answer has begun;
 * - the request being answered has arrived whole: the bytes came with it, so they answer nothing; its answer, if
 *   not begun, now closes the connection (Node wrote its own status line ahead of that answer and cut the
 *   connection);
 * - otherwise the connection is closed at once, as Node does.
 */
function answerUnparseableRequests(server: Server): void {
  const answered = new WeakSet<Socket>();
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (answered.has(socket)) return;
    answered.add(socket);
    const previous = attachedResponse(socket);
    const action = error.code === "ECONNRESET" || !socket.writable ? "close" : refusedRequestAction(previous);
    if (action === "answer") answerRefused(socket, error);
    else if (action === "close-after-previous") previous?.setHeader("Connection", "close");
    else socket.destroy();
  });
}

/** The part of a response the rule above looks at. */
export type PreviousAnswer = Pick<ServerResponse, "writableFinished" | "shouldKeepAlive" | "headersSent"> & {
  req: { complete: boolean };
};

/** What becomes of a refused request, by the answer attached to its connection (see answerUnparseableRequests). */
export function refusedRequestAction(previous: PreviousAnswer | undefined): "answer" | "close-after-previous" | "close" {
  if (previous === undefined || (previous.writableFinished && previous.shouldKeepAlive)) return "answer";
  if (previous.headersSent) return "close";
  return previous.req.complete ? "close-after-previous" : "answer";
}

function answerRefused(socket: Socket, error: NodeJS.ErrnoException): void {
  const { status, code } = UNPARSEABLE_ANSWERS[error.code ?? ""] ?? UNPARSEABLE;
  const body = JSON.stringify({ error: { code, message: `the request could not be parsed (${error.code ?? error.message})` } });
  socket.setTimeout(REFUSED_CONNECTION_LINGER_MS, () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${JSON_CONTENT_TYPE}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export async function listen(app: { callback(): RequestListener }, port: number): Promise<Server> {
  const server = createServer(app.callback());
  answerUnparseableRequests(server);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}

export const portOf = (server: Server) => (server.address() as AddressInfo).port;

/**
 * Stops accepting connections and lets in-flight requests finish (idle keep-alive sockets close at once);
 * after `graceMs` whatever is still open is cut.
 */
export async function closeGracefully(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(deadline);
}
