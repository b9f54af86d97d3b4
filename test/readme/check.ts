/**
 * The README under test: README.md and every Markdown file of the checkout it links to (and they link to), their
 * links and anchors, and their shell blocks run in order in one session (or checked where they cannot run here).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { targetOf, linkProblems } from "./links";
import { type MarkdownDoc, readMarkdown } from "./markdown";
import { type Problem, problem } from "./problems";
import { BlockRunner, type RunOptions } from "./runner";

/** `entry` and the Markdown files of `root` reachable from it by relative links, entry first, then as linked. */
export function documentsFrom(entry: string, root: string): MarkdownDoc[] {
  const docs = new Map<string, MarkdownDoc>();
  const queue = [path.resolve(entry)];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    if (docs.has(file)) continue;
    const doc = readMarkdown(file);
    docs.set(file, doc);
    for (const link of doc.links) {
      const target = targetOf(link, root).file;
      const inside = target !== undefined && !path.relative(root, target).startsWith("..");
      if (inside && target.endsWith(".md") && existsSync(target) && !docs.has(target)) queue.push(target);
    }
  }
  return [...docs.values()];
}

export interface CheckOptions extends RunOptions {
  /** The first document, README.md of the checkout. */
  entry: string;
}

/** Every problem of the documents: broken links and anchors, stray markers, and commands that fail. */
export async function checkDocuments(options: CheckOptions): Promise<Problem[]> {
  const docs = documentsFrom(options.entry, options.workDir);
  const anchors = new Map(docs.map((doc) => [doc.file, doc.anchors]));
  const anchorsOf = (file: string) => anchors.get(file) ?? readMarkdown(file).anchors;
  const problems: Problem[] = [];
  for (const doc of docs) {
    problems.push(...linkProblems(doc, options.workDir, anchorsOf));
    for (const marker of doc.strayMarkers) {
      problems.push(problem(doc.file, marker.line, "readme-test marker not directly followed by a shell block (```sh)"));
    }
  }
  const runner = new BlockRunner(options);
  try {
    for (const block of docs.flatMap((doc) => doc.blocks)) {
      try {
        problems.push(...(await runner.runBlock(block)));
      } catch (error) {
        problems.push(problem(block.file, block.line, `stopped here: ${(error as Error).message}`));
        break;
      }
    }
  } finally {
    await runner.close();
  }
  return problems;
}
