/** JSON bodies of a given size, made once per size: what bare Koa answers at `/bytes/<n>`. */
export const BYTES_PREFIX = "/bytes/";

const bodies = new Map<string, string>();

/** A JSON string of `size` bytes (a number in the path's text); the same object for every request of that size. */
export function bodyOf(size: string): string {
  let body = bodies.get(size);
  if (body === undefined) {
    body = JSON.stringify("x".repeat(Math.max(0, Number(size) - 2)));
    bodies.set(size, body);
  }
  return body;
}
