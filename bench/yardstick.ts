// The yardstick: Koa's "hello world", nothing else, on PORT. Every HTTP figure of the benchmark is also
// reported as a ratio to this server measured on the same machine in the same run.
import { createServer } from "node:http";
import Koa from "koa";

const app = new Koa();
app.use((ctx) => {
  ctx.body = "hello world";
});
createServer(app.callback()).listen(Number(process.env.PORT));
process.on("SIGTERM", () => process.exit(0));
