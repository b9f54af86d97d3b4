/** Relative links and anchors: every one must lead to a file of the checkout, and an anchor to a heading in it. */
import { existsSync } from "node:fs";
import path from "node:path";
import type { Link, MarkdownDoc } from "./markdown";
import { type Problem, problem } from "./problems";

export interface Target {
  /** Absolute path of the linked file; undefined for a link to another site. */
  file?: string;
  anchor?: string;
}

/** Where a link leads: a URL with a scheme (or `//host`) leads elsewhere; `/x` is relative to the repository root. */
export function targetOf(link: Link, root: string): Target {
  if (/^([a-z][a-z0-9+.-]*:|\/\/)/i.test(link.href)) return {};
  const [rawPath, rawAnchor] = link.href.split(/#(.*)/s);
  const decoded = decodeURIComponent(rawPath);
  const file = decoded === "" ? link.file : decoded.startsWith("/") ? path.join(root, decoded) : path.resolve(path.dirname(link.file), decoded);
  return { file, anchor: rawAnchor === undefined || rawAnchor === "" ? undefined : decodeURIComponent(rawAnchor) };
}

/** Problems with the links of `doc`; `anchorsOf` reads the anchors of another Markdown file. */
export function linkProblems(doc: MarkdownDoc, root: string, anchorsOf: (file: string) => Set<string>): Problem[] {
  const problems: Problem[] = [];
  for (const link of doc.links) {
    const { file, anchor } = targetOf(link, root);
    if (file === undefined) continue;
    if (!existsSync(file)) {
      problems.push(problem(doc.file, link.line, `link "${link.href}": ${path.relative(root, file)} does not exist`));
    } else if (anchor !== undefined && file.endsWith(".md") && !anchorsOf(file).has(anchor)) {
      problems.push(problem(doc.file, link.line, `link "${link.href}": no heading or anchor "${anchor}" in ${path.relative(root, file)}`));
    }
  }
  return problems;
}
