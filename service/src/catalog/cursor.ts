/**
 * Keyset cursors are opaque to clients: base64url JSON they hand back unchanged. The catalog issues them with the
 * last row of a page; http/validation.ts decodes and validates the ones clients send.
 */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}

/** The JSON inside a cursor; throws on anything that is not base64url JSON. */
export function decodeCursor(cursor: string): unknown {
  return JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
}
