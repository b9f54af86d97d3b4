/**
 * What the README test reads from a Markdown file: its shell blocks (with the `readme-test` comment before each, if
 * any), its links, and the anchors other files may link to. Parsed with markdown-it (CommonMark, as GitHub renders
 * it), so code spans, indented code and link syntax inside them are told apart the way a reader sees them.
 */
import { readFileSync } from "node:fs";
import MarkdownIt from "markdown-it";

type Token = MarkdownIt.Token;

/** Fences whose commands are meant for a shell; every other language (yaml, json, none) is left alone. */
const SHELL_LANGUAGES = new Set(["sh", "bash", "shell", "zsh"]);

/** The comment that marks a block: `<!-- readme-test ... -->` right before its fence. */
const MARKER = /^<!--\s*readme-test\b([\s\S]*?)-->\s*$/;

export interface Marker {
  /** The comment's text after `readme-test`. */
  text: string;
  line: number;
}

export interface ShellBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The block's content, one entry per source line. */
  lines: string[];
  marker?: Marker;
}

export interface Link {
  file: string;
  line: number;
  href: string;
}

export interface MarkdownDoc {
  file: string;
  blocks: ShellBlock[];
  links: Link[];
  /** Anchors a link may name: heading slugs as GitHub makes them, and `id`/`name` attributes of raw HTML. */
  anchors: Set<string>;
  /** Markers with no shell fence right after them: a mistake, reported rather than ignored. */
  strayMarkers: Marker[];
}

const markdown = new MarkdownIt({ html: true });

/**
 * GitHub's heading anchors (github-slugger): lower-case, every character dropped that is not a letter, mark, digit,
 * connector punctuation, space or hyphen, spaces turned into hyphens; repeats get -1, -2, ...
 */
export function slugger(): (heading: string) => string {
  const seen = new Map<string, number>();
  return (heading) => {
    const base = heading.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replace(/ /g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    return count === 0 ? base : `${base}-${count}`;
  };
}

/** The text a heading renders: text and code spans, without the markup. */
function plainText(inline: Token): string {
  return (inline.children ?? [])
    .filter((child) => child.type === "text" || child.type === "code_inline")
    .map((child) => child.content)
    .join("");
}

function linksOf(file: string, inline: Token): Link[] {
  const links: Link[] = [];
  let line = (inline.map?.[0] ?? 0) + 1;
  for (const child of inline.children ?? []) {
    if (child.type === "softbreak" || child.type === "hardbreak") line += 1;
    const href = child.type === "link_open" ? child.attrGet("href") : child.type === "image" ? child.attrGet("src") : null;
    if (href !== null) links.push({ file, line, href: String(href) });
  }
  return links;
}

function htmlAnchors(html: string): string[] {
  return [...html.matchAll(/\s(?:id|name)="([^"]+)"/g)].map((match) => match[1]);
}

export function readMarkdown(file: string): MarkdownDoc {
  const tokens = markdown.parse(readFileSync(file, "utf8"), {});
  const doc: MarkdownDoc = { file, blocks: [], links: [], anchors: new Set(), strayMarkers: [] };
  const slug = slugger();
  let pending: Marker | undefined;
  tokens.forEach((token, index) => {
    const line = (token.map?.[0] ?? 0) + 1;
    const html = token.type === "html_block" ? [token] : (token.children ?? []).filter((child) => child.type === "html_inline");
    html.forEach((part) => htmlAnchors(part.content).forEach((anchor) => doc.anchors.add(anchor)));
    if (token.type === "html_block") {
      const match = MARKER.exec(token.content.trim());
      if (match !== null) {
        if (pending !== undefined) doc.strayMarkers.push(pending);
        pending = { text: match[1].replace(/^\s*:?/, ""), line };
        return;
      }
    }
    if (token.type === "fence" && SHELL_LANGUAGES.has(token.info.trim().split(/\s+/)[0])) {
      doc.blocks.push({ file, line, lines: token.content.replace(/\n$/, "").split("\n"), marker: pending });
      pending = undefined;
      return;
    }
    if (token.type === "heading_open") doc.anchors.add(slug(plainText(tokens[index + 1])));
    if (token.type === "inline") doc.links.push(...linksOf(file, token));
    if (pending !== undefined) {
      doc.strayMarkers.push(pending);
      pending = undefined;
    }
  });
  if (pending !== undefined) doc.strayMarkers.push(pending);
  return doc;
}
