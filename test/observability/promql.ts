/**
 * The vector selectors of a PromQL expression. Not a parser (promtool decides whether an expression is valid); a
 * scanner good enough for the expressions this repository writes, so a misspelt metric name fails the allow-list
 * test instead of drawing an empty panel, and a selector without the stack's namespace fails before it reads
 * another environment's series.
 */

const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "inf", "nan"]);
/** Words followed by a parenthesised list of label names, not of expressions. */
const LABEL_LISTS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);

export interface VectorSelector {
  metric: string;
  /** The matchers between the braces, without them; empty for a bare metric name. */
  matchers: string;
}

/** The index just past the string literal opening at `start`. */
function skipString(expr: string, start: number): number {
  const quote = expr[start];
  let i = start + 1;
  while (i < expr.length && expr[i] !== quote) i += expr[i] === "\\" ? 2 : 1;
  return i + 1;
}

/** The index just past the bracket closing the one at `start`, skipping string literals inside. */
function skipBracketed(expr: string, start: number, close: string): number {
  let i = start + 1;
  while (i < expr.length && expr[i] !== close) i = expr[i] === '"' || expr[i] === "'" ? skipString(expr, i) : i + 1;
  return i + 1;
}

function nextNonSpace(expr: string, from: number): number {
  let i = from;
  while (i < expr.length && /\s/.test(expr[i])) i += 1;
  return i;
}

export function vectorSelectors(expr: string): VectorSelector[] {
  const found: VectorSelector[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i];
    if (c === '"' || c === "'") {
      i = skipString(expr, i);
    } else if (c === "[") {
      // Ranges and subqueries: durations, not names.
      i = skipBracketed(expr, i, "]");
    } else if (c === "{") {
      const end = skipBracketed(expr, i, "}");
      found.push({ metric: "", matchers: expr.slice(i + 1, end - 1) });
      i = end;
    } else if (/[A-Za-z_:]/.test(c)) {
      const word = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(expr.slice(i))?.[0] ?? c;
      const after = nextNonSpace(expr, i + word.length);
      const partOfNumber = i > 0 && /[0-9.]/.test(expr[i - 1]);
      // An aggregation with its grouping first: `sum by (le) (...)`.
      const aggregation = /^(by|without)\s*\(/.test(expr.slice(after));
      if (LABEL_LISTS.has(word) && expr[after] === "(") {
        i = skipBracketed(expr, after, ")");
      } else if (expr[after] === "(" || aggregation || partOfNumber || KEYWORDS.has(word.toLowerCase())) {
        i += word.length;
      } else if (expr[after] === "{") {
        const end = skipBracketed(expr, after, "}");
        found.push({ metric: word, matchers: expr.slice(after + 1, end - 1) });
        i = end;
      } else {
        found.push({ metric: word, matchers: "" });
        i += word.length;
      }
    } else {
      i += 1;
    }
  }
  return found;
}

/** Metric names referenced by a PromQL expression. */
export function metricNames(expr: string): Set<string> {
  return new Set(vectorSelectors(expr).map((s) => s.metric).filter((metric) => metric !== ""));
}

/** The selectors of `expr` that do not match `namespace="<namespace>"` exactly, as `metric{matchers}`. */
export function unscopedSelectors(expr: string, namespace: string): string[] {
  const scoped = new RegExp(`(^|,)\\s*namespace\\s*=\\s*"${namespace}"\\s*(,|$)`);
  return vectorSelectors(expr)
    .filter((s) => !scoped.test(s.matchers))
    .map((s) => `${s.metric}{${s.matchers}}`);
}
