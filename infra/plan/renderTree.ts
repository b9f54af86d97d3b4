/**
 * Child-process entry of infra/plan/base.ts: `renderTree.ts <project root> <stack> <out.json>` renders the stack
 * with the renderer and program found under <project root> (another tree's, not this file's), and writes the
 * render as JSON. A program error is printed on stderr, message only, and exits 1.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import type * as Render from "../offline/render";

/** Renders `stack` with the renderer and program under `root` and writes the render to `out` as JSON. */
export async function renderTree(root: string, stack: string, out: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module is the other tree's, found at run time
  const { renderStack } = require(path.join(root, "infra", "offline", "render")) as typeof Render;
  writeFileSync(out, JSON.stringify(await renderStack(stack)));
}

function main(): Promise<void> {
  const [root, stack, out] = process.argv.slice(2);
  return renderTree(root, stack, out).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}

// Loaded by base.ts as a script; a test imports renderTree instead.
if (require.main === module) void main();
