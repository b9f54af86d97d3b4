/**
 * A shell block as commands: where each command starts and ends (quotes, `\` continuations and trailing `|`,
 * `&&`, `||` carry it over lines), its text without comments, and its simple commands as words (shell-quote).
 */
import { type ParseEntry, parse } from "shell-quote";
import type { ShellBlock } from "./markdown";

export interface Command {
  block: ShellBlock;
  /** 1-based line in the Markdown file where the command starts. */
  line: number;
  /** As written, comments included: what the shell runs. */
  source: string;
  /** Comments dropped, continuations joined, spaces collapsed: what markers match and checks read. */
  text: string;
}

/** `<access key id>`, `<commit sha>`: a value the reader fills in. `</dev/null` is a redirection, not one. */
export const PLACEHOLDER = /<[A-Za-z][^<>\n]*>/g;

export function hasPlaceholder(text: string): boolean {
  return new RegExp(PLACEHOLDER.source).test(text);
}

interface Scan {
  /** The line without its comment. */
  code: string;
  /** Still inside a quote at the end of the line. */
  quote: "'" | '"' | undefined;
}

/** One line, continuing the quote state of the line before: where its comment starts, and the quote it ends in. */
function scanLine(line: string, quote: Scan["quote"]): Scan {
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i];
    if (quote === "'") {
      if (char === "'") quote = undefined;
    } else if (char === "\\") {
      i += 1;
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === "#" && (i === 0 || /\s/.test(line[i - 1]))) {
      return { code: line.slice(0, i), quote };
    }
  }
  return { code: line, quote };
}

/** The commands of a block, in order; lines that are only comments or blank start none. */
export function commandsOf(block: ShellBlock): Command[] {
  const commands: Command[] = [];
  let current: { line: number; source: string[]; code: string[] } | undefined;
  let quote: Scan["quote"];
  block.lines.forEach((line, index) => {
    const scan = scanLine(line, quote);
    quote = scan.quote;
    if (current === undefined) {
      if (scan.code.trim() === "") return;
      current = { line: block.line + 1 + index, source: [], code: [] };
    }
    current.source.push(line);
    current.code.push(scan.code);
    const code = scan.code.trimEnd();
    const continues = quote !== undefined || code.endsWith("\\") || /(\||&&|\|\|)$/.test(code);
    if (!continues) {
      const text = current.code
        .join("\n")
        .replace(/\\\n/g, " ")
        .replace(/\s+/g, " ")
        .trim();
      commands.push({ block, line: current.line, source: current.source.join("\n"), text });
      current = undefined;
    }
  });
  if (current !== undefined) {
    commands.push({ block, line: current.line, source: current.source.join("\n"), text: current.code.join(" ").trim() });
  }
  return commands;
}

const SEPARATORS = new Set(["|", "||", "&&", ";", "&", "(", ")", ";;", "|&"]);
const OUTPUT_REDIRECTS = new Set([">", ">>", ">&", "&>"]);

/** Words that open or continue a compound command: the program comes after them (`do kubectl ...`). */
const KEYWORDS = new Set(["if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "time", "{", "}"]);

export interface SimpleCommand {
  /** The words after any leading `NAME=value` assignments; variables stay as written (`$STACK`). */
  words: string[];
  /** Files read through `<`. */
  inputs: string[];
}

/** The simple commands of a command line; `$(...)` bodies count as commands of their own. */
export function simpleCommands(text: string): SimpleCommand[] {
  const entries: ParseEntry[] = parse(text, (name) => `$${name}`);
  const result: SimpleCommand[] = [];
  let current: SimpleCommand = { words: [], inputs: [] };
  const finish = () => {
    while (current.words.length > 0 && (KEYWORDS.has(current.words[0]) || /^[A-Za-z_]\w*=/.test(current.words[0]))) {
      current.words.shift();
    }
    // `for c in a b` lists words, not a program.
    if (current.words[0] === "for") current.words = [];
    if (current.words.length > 0) result.push(current);
    current = { words: [], inputs: [] };
  };
  for (let i = 0; i < entries.length; i += 1) {
    const entry = entries[i];
    if (typeof entry === "string") {
      current.words.push(entry);
    } else if ("op" in entry && entry.op === "glob") {
      current.words.push(entry.pattern);
    } else if ("op" in entry && SEPARATORS.has(entry.op)) {
      finish();
    } else if ("op" in entry && OUTPUT_REDIRECTS.has(entry.op)) {
      i += 1;
    } else if ("op" in entry && entry.op === "<") {
      const next = entries[i + 1];
      if (typeof next === "string") current.inputs.push(next);
      i += 1;
    }
  }
  finish();
  return result;
}
