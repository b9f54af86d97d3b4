// The yardstick: bare Koa on PORT. Every HTTP figure of the benchmark is also reported as a ratio to this server
// measured on the same machine in the same run. `/bytes/<n>` answers a JSON body of n bytes, so that a scenario's
// yardstick sends as much as the service sent in it: an answer's size costs the kernel and the load generator
// (which shares the machine) as much behind bare Koa as behind the service, and is not the service's overhead.
// Anything else answers Koa's "hello world".
import { createServer } from "node:http";
import Koa from "koa";

const BYTES_PREFIX = "/bytes/";
const bodies = new Map<string, string>();

function bodyOf(size: string): string {
  let body = bodies.get(size);
  if (body === undefined) {
    body = JSON.stringify("x".repeat(Math.max(0, Number(size) - 2)));
    bodies.set(size, body);
  }
  return body;
}

const app = new Koa();
app.use((ctx) => {
  if (!ctx.url.startsWith(BYTES_PREFIX)) {
    ctx.body = "hello world";
    return;
  }
  ctx.type = "application/json";
  ctx.body = bodyOf(ctx.url.slice(BYTES_PREFIX.length));
});
createServer(app.callback()).listen(Number(process.env.PORT));
process.on("SIGTERM", () => process.exit(0));
