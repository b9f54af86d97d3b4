// The yardstick: bare Koa on PORT. Every HTTP figure of the benchmark is also reported as a ratio to this server
// measured on the same machine in the same run. `/bytes/<n>` answers a JSON body of n bytes, so that a scenario's
// yardstick sends as much as the service sent in it: an answer's size costs the kernel and the load generator
// (which shares the machine) as much behind bare Koa as behind the service, and is not the service's overhead.
// Anything else answers Koa's "hello world".
import { createServer } from "node:http";
import Koa from "koa";
import { BYTES_PREFIX, bodyOf } from "./bodies";

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
