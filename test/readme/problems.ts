/** What the README test reports: a file, a line in it, and what is wrong there. */
import path from "node:path";

export interface Problem {
  file: string;
  line: number;
  message: string;
}

export function problem(file: string, line: number, message: string): Problem {
  return { file, line, message };
}

/** `README.md:120: message`, paths relative to `root`, in file and line order. */
export function formatProblems(problems: readonly Problem[], root: string): string {
  return [...problems]
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line)
    .map((p) => `${path.relative(root, p.file)}:${p.line}: ${p.message}`)
    .join("\n");
}
