import type { CacheKind, Metrics } from "../metrics";

/**
 * What a lookup saw. `epoch` identifies the bucket's state; handing it back to `set` stops a value that was
 * loaded before an invalidation from being stored after it. Every lookup returns a new object, except that
 * requests sharing one lookup (NearCache) get the same one.
 */
export interface CacheLookup {
  value: string | undefined;
  epoch: string | null;
}

/**
 * Cached values live in buckets (one per kind of data); invalidating a bucket drops all of its entries at once,
 * which is how writes and refits make every dependent read miss. A bucket holds at most MAX_ENTRIES_PER_BUCKET
 * entries, whatever mix of requests clients send: storing a new key in a full bucket first evicts another entry
 * (which one is the implementation's choice). Implementations never throw: a cache that cannot answer reports a
 * miss and ignores stores.
 */
export interface Cache {
  get(bucket: string, key: string): Promise<CacheLookup>;
  set(bucket: string, key: string, value: string, seen: CacheLookup): Promise<void>;
  invalidate(buckets: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** Keeps a bucket to a few MB (entries are a few hundred bytes to a few kB of JSON) in memory and in Redis. */
export const MAX_ENTRIES_PER_BUCKET = 5_000;

/** Plain objects with their keys sorted, at every depth; undefined fields vanish in JSON anyway. */
function sortedKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(Object.keys(record).sort().map((field) => [field, record[field]]));
}

/**
 * The key of a validated request: its fields in sorted order at every depth, absent ones left out, so that two
 * spellings of one request (fields in another order, an optional field given as undefined) share one entry. Build
 * it from the parsed, canonical values (a decoded cursor, a number), never from raw query text.
 */
export function canonicalKey(kind: string, request: object): string {
  return `${kind}:${JSON.stringify(request, sortedKeys)}`;
}

export const READS_BUCKET = "reads";
export const PREDICTIONS_BUCKET = "predictions";
/** Fixture lists with their predictions: they depend on matches and models, so every match write drops them. */
export const FIXTURES_BUCKET = "fixtures";

/** Loads under way, by the lookup that missed (a lookup is of one key). */
const loading = new WeakMap<CacheLookup, Promise<string>>();

export interface CacheAsideOptions<T> {
  /** The form callers use (fields split out, a body encoded for the wire), made once per lookup that hits. */
  decode: (value: string) => T;
  /**
   * The form of a value just loaded, made for each request that missed (`decode` when not given): a large body
   * one request sends costs less as text than encoded in a Buffer of its own (see wireBody).
   */
  decodeLoaded?: (value: string) => T;
  /** A cached value it refuses (one that carries its own expiry) counts as a miss and is replaced. */
  isFresh?: (value: string) => boolean;
}

/** For callers that use the cached text as it is. */
export const asText = (value: string): string => value;

/**
 * Node writes a response whose headers and body are one string from a 16 kB buffer on the stack, in one system
 * call, when it fits there at UTF-8's worst of 3 bytes per character (src/stream_base.cc, `WriteString`): no
 * allocation and no callback to wait for. A Buffer body goes out in a writev beside its headers, which are first
 * copied into storage of their own. Below this many characters (a kB left for the headers), an answer is
 * therefore cheapest as text; a larger one would be encoded into a new allocation on every response.
 */
export const STACK_WRITTEN_CHARS = Math.floor(16_384 / 3) - 1_024;

/**
 * The form to send `text` in, and to keep for the next requests: text while Node writes it from the stack,
 * otherwise encoded once, in memory of its own (never a slice of Buffer's shared pool, which a copy kept for
 * minutes would pin).
 */
export function wireBody(text: string): string | Buffer {
  if (text.length < STACK_WRITTEN_CHARS) return text;
  const buffer = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  buffer.write(text);
  return buffer;
}

/**
 * Decoded forms of cached values, by the lookup that found them. A NearCache copy answers every hit on its key
 * with the same lookup, so a hot entry is decoded once per copy rather than once per request, and the form goes
 * when the copy does.
 */
const decodedForms = new WeakMap<CacheLookup, { decode: (value: string) => unknown; form: unknown }>();

function decodeOnce<T>(lookup: CacheLookup, value: string, decode: (value: string) => T): T {
  const known = decodedForms.get(lookup);
  if (known !== undefined && known.decode === decode) return known.form as T;
  const form = decode(value);
  decodedForms.set(lookup, { decode, form });
  return form;
}

/**
 * Answers from the cache, or loads, stores and returns the value; `hit` says which. Requests that shared a
 * lookup which missed share one load too: when a hot key goes (its bucket invalidated or expired), the
 * database sees one load per lookup, not one per waiting request. A request that looked up after an
 * invalidation has a lookup of its own, so it never gets a value loaded before it.
 */
export async function cacheAside<T>(
  cache: Cache,
  metrics: Metrics,
  kind: CacheKind,
  bucket: string,
  key: string,
  load: () => Promise<string>,
  options: CacheAsideOptions<T>,
): Promise<{ value: T; hit: boolean }> {
  const { decode, decodeLoaded = decode, isFresh = () => true } = options;
  const seen = await cache.get(bucket, key);
  if (seen.value !== undefined && isFresh(seen.value)) {
    metrics.cacheHits.inc(kind);
    return { value: decodeOnce(seen, seen.value, decode), hit: true };
  }
  metrics.cacheMisses.inc(kind);
  let loaded = loading.get(seen);
  if (loaded === undefined) {
    loaded = load().then(async (value) => {
      await cache.set(bucket, key, value, seen);
      return value;
    });
    loading.set(seen, loaded);
  }
  return { value: decodeLoaded(await loaded), hit: false };
}

/** Stores a value computed ahead of any request (a warm-up), unless the bucket is reset meanwhile. */
export async function putAhead(cache: Cache, bucket: string, key: string, value: string): Promise<void> {
  await cache.set(bucket, key, value, await cache.get(bucket, key));
}
