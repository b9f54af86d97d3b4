import { readFileSync } from "node:fs";
import path from "node:path";

/** The service package's version; the path holds both under ts-node (src/) and after tsc (dist/). */
export const SERVICE_VERSION: string = (
  JSON.parse(readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as { version: string }
).version;
