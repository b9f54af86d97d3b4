/**
 * Metric names referenced by a PromQL expression. Not a parser (promtool decides whether an expression is
 * valid); a scanner good enough for the expressions this repository writes, so a misspelt metric name fails
 * the allow-list test instead of drawing an empty panel.
 */

const NON_METRIC_WORDS = new Set(["and", "or", "unless", "bool", "offset", "inf", "nan"]);

export function metricNames(expr: string): Set<string> {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0];
    const before = stripped[match.index - 1] ?? "";
    const after = stripped.slice(match.index + word.length);
    const isFunction = /^\s*\(/.test(after);
    const isNumberPart = /[0-9.]/.test(before);
    if (!isFunction && !isNumberPart && !NON_METRIC_WORDS.has(word.toLowerCase())) names.add(word);
  }
  return names;
}
