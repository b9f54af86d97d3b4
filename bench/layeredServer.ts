// Koa and the yardstick's answer behind the first LAYERS (env) of the service's own middleware, on PORT: the
// servers `npm run bench -- --only layers` compares (bench/layers.ts).
import { createServer } from "node:http";
import { layeredApp } from "./layers";

layeredApp(Number(process.env.LAYERS)).then(
  (app) => createServer(app.callback()).listen(Number(process.env.PORT)),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
process.on("SIGTERM", () => process.exit(0));
