/**
 * Fault drill: malformed input. FUZZ_CASES (default and minimum 10,000) requests generated from a seeded PRNG
 * (FUZZ_SEED, default below; case `i` depends only on the seed and `i`, so a failure names the case and
 * `FUZZ_SEED=<seed> FUZZ_ONLY=<i>` replays it alone): random paths, query strings, JSON and non-JSON bodies,
 * oversized bodies, odd headers (forged X-Forwarded-For chains, request ids, charsets), Unicode in paths, queries,
 * bodies and names, garbage, expired, forged and wrong-scope tokens, tokens with bad claims (subject, issued-at),
 * and requests Node's HTTP client refuses to write, sent over raw sockets. The service trusts 127.0.0.1 as its
 * proxy, as it trusts the ingress in a cluster. Then a burst over the rate limit from one client.
 *
 * Asserted: no 5xx; the public port never serves /health, /ready or /metrics; no request the server accepted is
 * dropped: a
 * connection may break only after the application answered (its access log has the answer), when Node's parser
 * refused a header block over 16 kB, or, for raw cases, when the parser closes what it cannot parse; no forged,
 * expired or wrong-scope token gets a write through; every error the application answers has its JSON error
 * shape; the rate limit answers 429 with Retry-After; the process is still up, /health, /ready and a prediction
 * answer 200, and nothing was logged at error level.
 */
import assert from "node:assert/strict";
import http from "node:http";
import { SignJWT } from "jose";
import { mintToken } from "../../service/src/auth/tokens";
import { builtWebPage } from "../support/browser";
import { type RequestSpec, type Sample, prng, rawExchange, report, send, tally } from "../support/load";
import type { RedisServer } from "../support/redisServer";
import { TEST_JWT_SECRET } from "../support/service";
import type { ServiceProcess } from "../support/serviceProcess";
import { startDrillStack } from "./stack";

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_123);
const CASES = Math.max(10_000, Number(process.env.FUZZ_CASES ?? 10_000));
/** Case indices to replay, in order, on one connection (comma-separated), instead of the whole run. */
const ONLY = process.env.FUZZ_ONLY?.split(",").map(Number);
const WORKERS = 16;
const RATE_LIMIT = 300;


type Random = () => number;
const int = (r: Random, min: number, max: number) => min + Math.floor(r() * (max - min + 1));
const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)];
const chance = (r: Random, p: number) => r() < p;
const stringOf = (r: Random, alphabet: string, length: number) =>
  Array.from({ length }, () => alphabet[Math.floor(r() * alphabet.length)]).join("");

const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join("");
const URL_SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@";
/** What Node's client writes in a header value: tab, printable ASCII and the upper half of latin1. */
const HEADER_VALUE = `\t${PRINTABLE}${Array.from({ length: 32 }, (_, i) => String.fromCharCode(0xa0 + i * 3)).join("")}`;
const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

// ---------------------------------------------------------------------------------------------------------------
// Tokens

type TokenKind =
  | "valid"
  | "validArrayScope"
  | "readScope"
  | "emptyScope"
  | "expired"
  | "wrongSecret"
  | "algNone"
  | "hs512"
  | "wrongIssuer"
  | "wrongAudience"
  | "noSubject"
  | "noExpiry"
  | "notYetValid"
  | "numericScope"
  | "mixedScope"
  | "hugeClaim"
  | "tampered"
  | "unsigned"
  | "emptySubject"
  | "numericSubject"
  | "newlineSubject"
  | "bidiSubject"
  | "longSubject"
  | "futureIssuedAt";

/** Accepted with the write scope. */
const GOOD_TOKENS = new Set<TokenKind>(["valid", "validArrayScope", "hugeClaim"]);
/** Authentic but without the write scope: 403. */
const WRONG_SCOPE_TOKENS = new Set<TokenKind>(["readScope", "emptyScope"]);

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

async function mintTokens(): Promise<Record<TokenKind, string>> {
  const secret = new TextEncoder().encode(TEST_JWT_SECRET);
  const claims = (payload: Record<string, unknown> = { scope: "write" }) =>
    new SignJWT(payload).setProtectedHeader({ alg: "HS256", typ: "JWT" });
  const standard = (jwt: SignJWT) =>
    jwt.setSubject("fuzz").setIssuer("football-prediction").setAudience("football-prediction-api").setIssuedAt();
  // A subject of another type than jose's setSubject takes.
  const claimsWith = (payload: Record<string, unknown>) =>
    claims(payload).setIssuer("football-prediction").setAudience("football-prediction-api").setIssuedAt();
  const now = Math.floor(Date.now() / 1000);
  const valid = await mintToken(TEST_JWT_SECRET, { subject: "fuzz", scopes: ["write"], ttlSeconds: 3600 });
  const expiresIn = (jwt: SignJWT) => jwt.setExpirationTime("1h").sign(secret);
  const anotherSecret = "another-secret-that-is-at-least-32-characters";
  const unsignedClaims = {
    sub: "fuzz",
    scope: "write",
    iss: "football-prediction",
    aud: "football-prediction-api",
    exp: now + 3600,
  };
  return {
    valid,
    validArrayScope: await expiresIn(standard(claims({ scope: ["write", "read"] }))),
    readScope: await mintToken(TEST_JWT_SECRET, { subject: "fuzz", scopes: ["read"], ttlSeconds: 3600 }),
    emptyScope: await mintToken(TEST_JWT_SECRET, { subject: "fuzz", scopes: [], ttlSeconds: 3600 }),
    expired: await standard(claims()).setIssuedAt(now - 7200).setExpirationTime(now - 3600).sign(secret),
    wrongSecret: await mintToken(anotherSecret, { subject: "fuzz", scopes: ["write"], ttlSeconds: 3600 }),
    algNone: `${b64({ alg: "none", typ: "JWT" })}.${b64(unsignedClaims)}.`,
    hs512: await expiresIn(standard(new SignJWT({ scope: "write" }).setProtectedHeader({ alg: "HS512" }))),
    wrongIssuer: await expiresIn(standard(claims()).setIssuer("someone-else")),
    wrongAudience: await expiresIn(standard(claims()).setAudience("another-api")),
    noSubject: await expiresIn(claims().setIssuer("football-prediction").setAudience("football-prediction-api")),
    noExpiry: await standard(claims()).sign(secret),
    notYetValid: await standard(claims()).setNotBefore(now + 3600).setExpirationTime(now + 7200).sign(secret),
    numericScope: await expiresIn(standard(claims({ scope: 42 }))),
    mixedScope: await expiresIn(standard(claims({ scope: ["write", 7, null] }))),
    hugeClaim: await expiresIn(standard(claims({ scope: "write", padding: "x".repeat(9_000) }))),
    tampered: `${valid.slice(0, -3)}${valid.endsWith("AAA") ? "BBB" : "AAA"}`,
    unsigned: valid.split(".").slice(0, 2).join(".") + ".",
    emptySubject: await expiresIn(standard(claims()).setSubject("")),
    numericSubject: await expiresIn(claimsWith({ scope: "write", sub: 123 })),
    newlineSubject: await expiresIn(standard(claims()).setSubject("admin\nforged")),
    bidiSubject: await expiresIn(standard(claims()).setSubject("\u202eadmin")),
    longSubject: await expiresIn(standard(claims()).setSubject("a".repeat(129))),
    futureIssuedAt: await standard(claims()).setIssuedAt(now + 3600).setExpirationTime(now + 7200).sign(secret),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Cases

interface HttpCase {
  transport: "http";
  category: string;
  spec: RequestSpec;
  /** The token the case carries, when it is about authorisation. */
  token?: TokenKind;
  /** A write to a real route: the token alone decides between 401, 403 and going on. */
  routed?: boolean;
}

interface RawCase {
  transport: "raw";
  category: string;
  name: string;
  bytes: Buffer;
  halfClose?: boolean;
}

type FuzzCase = HttpCase | RawCase;

const SEGMENTS = [
  "matches", "teams", "leagues", "predictions", "models", "status", "ping", "refit", "result", "v1", "api",
  "..", ".", "%2e%2e", "%2F", "%00", "%ff", "%", "%zz", "%E0%A4%A", "%C0%AF", "%F0%9F%98%80", "-1", "0", "1",
  "13321", "99999999999999999999999", "1e3", "0x10", "1.5", "NaN", "Infinity", "null", "undefined", "__proto__",
  "constructor", "prototype", "E0", "e0", "SP1", "ZZ9", "Arsenal", "%20", "+", ";", ",", "'", "%22", "%3Cscript%3E",
  "*", "~", "$", "@", ":id", "..%2f..%2fetc%2fpasswd",
];
const PREFIXES = [
  "/api/v1/", "/api/v1/", "/api/v1/", "/api/v2/", "/api/", "/", "//api/v1/", "/API/V1/", "/api/v1//", "/metrics/",
  "/health/", "/ready/",
];
const METHODS = ["GET", "GET", "GET", "HEAD", "OPTIONS", "DELETE", "PATCH", "POST", "PUT", "FOO", "PROPFIND", "PURGE"];

function randomPath(r: Random): string {
  const segments = Array.from({ length: int(r, 0, 5) }, () =>
    chance(r, 0.15) ? stringOf(r, URL_SAFE, int(r, 1, chance(r, 0.05) ? 3_000 : 20)) : pick(r, SEGMENTS),
  );
  return `${pick(r, PREFIXES)}${segments.join("/")}${chance(r, 0.1) ? "/" : ""}`;
}

/** Percent-encoded: dotted I, final sigma, fullwidth, right-to-left override, zero-width space, combining mark, NFKC. */
const UNICODE_NAMES = [
  "%C4%B0stanbul%20FC", "%CE%9F%CE%BB%CF%85%CE%BC%CF%80%CE%B9%CE%B1%CE%BA%CF%8C%CF%82", "%EF%BC%A1rsenal",
  "Arsenal%E2%80%AE", "Ars%E2%80%8Benal", "Arsenal%CC%81", "%EF%AC%81orentina", "%F0%9D%90%80rsenal", "%ED%A0%80",
];

const QUERY_KEYS = [
  "league", "season", "team", "from", "to", "status", "order", "limit", "cursor", "home", "away",
  "foo", "__proto__", "constructor", "a[b]", "", "limit[]", "toString", "hasOwnProperty",
];

function cursor(r: Random): string {
  return pick(r, [
    Buffer.from(JSON.stringify({ date: "2020-01-01", id: int(r, -5, 20_000) })).toString("base64url"),
    Buffer.from(JSON.stringify({ date: stringOf(r, PRINTABLE, 8), id: "x" })).toString("base64url"),
    Buffer.from(JSON.stringify(pick(r, [null, [], {}, "Arsenal", 12, { __proto__: { a: 1 } }]))).toString("base64url"),
    Buffer.from(stringOf(r, PRINTABLE, int(r, 0, 60))).toString("base64url"),
    stringOf(r, URL_SAFE, int(r, 0, 80)),
    "%%%",
  ]);
}

function queryValue(r: Random, key: string): string {
  const specific: Record<string, string[]> = {
    league: ["E0", "D1", "SP1", "e0", "XX", "E0E0E0E0E0E0", ""],
    season: ["2024-2025", "2024-2026", "2024/2025", "1899-1900", "9999-10000", "2024-2025x"],
    team: ["Arsenal", "arsenal", "Nobody%20FC", "%F0%9F%98%80", "%00", "a".repeat(500), ...UNICODE_NAMES],
    from: ["2024-01-01", "2024-02-30", "2024-13-01", "0000-01-01", "9999-12-31", "2024-1-1", "yesterday"],
    to: ["2023-01-01", "2025-12-31", "2024-02-29", "+020000-01-01"],
    status: ["played", "scheduled", "PLAYED", "both", ""],
    order: ["asc", "desc", "ASC", "random", "1"],
    limit: [
      "1", "200", "201", "0", "-1", "1.5", "1e2", "abc", "9999999999999999999999", "%205", "0x10", "5.0", "+5", "050",
      "%EF%BC%95", "%D9%A5", "5%00",
    ],
    cursor: [cursor(r)],
    home: ["Arsenal", "Chelsea", "Bayern%20Munich", "Nobody", "", ...UNICODE_NAMES],
    away: ["Everton", "Arsenal", "Barcelona", "Nobody", "%", ...UNICODE_NAMES],
  };
  const generic = [
    ...["", "-1", "%00", "%", "%zz", "%E0%A4%A", "null", "[]", "{}", "true"],
    stringOf(r, URL_SAFE, int(r, 1, 40)),
    "x".repeat(int(r, 100, 4_000)),
  ];
  return chance(r, 0.6) && specific[key] !== undefined ? pick(r, specific[key]) : pick(r, generic);
}

function randomQuery(r: Random): string {
  const pairs = Array.from({ length: int(r, 0, 6) }, () => {
    const key = pick(r, QUERY_KEYS);
    return chance(r, 0.05) ? key : `${key}=${queryValue(r, key)}`;
  });
  return pairs.length === 0 ? "" : `?${pairs.join(chance(r, 0.05) ? ";" : "&")}`;
}

const QUERY_ENDPOINTS = [
  "/api/v1/matches", "/api/v1/matches", "/api/v1/teams", "/api/v1/predictions", "/api/v1/predictions",
  "/api/v1/leagues", "/api/v1/leagues/E0", "/api/v1/ping", "/api/v1/status", "/api/v1/models",
  "/api/v1/matches/1", "/api/v1/predictions/2", "/api/v1/teams/3", "/health", "/ready", "/metrics",
];

const CONTENT_TYPES = [
  "application/json", "application/json", "application/json; charset=utf-8", "application/json; charset=latin1",
  "application/json; charset=utf-32", "application/json; charset=nonsense", "application/json; charset=utf-16",
  'application/json; charset="UTF-8"', "application/json;charset=utf-16;", "application/json; charset=",
  "text/plain", "text/json",
  "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/vnd.api+json",
  "application/merge-patch+json", "application/jsonx", "*/*", "",
];

function randomJsonValue(r: Random, depth = 0): unknown {
  const roll = int(r, 0, depth > 3 ? 6 : 9);
  switch (roll) {
    case 0: return null;
    case 1: return chance(r, 0.5);
    case 2: return pick(r, [0, -1, 1, 2, 99, 100, 1.5, -0, 1e21, Number.MAX_SAFE_INTEGER, 2 ** 53 + 1]);
    case 3: return stringOf(r, PRINTABLE, int(r, 0, 30));
    case 4: return pick(r, ["E0", "2024-2025", "2025-01-01", "Arsenal", "", "\u0000", "\ud800", "💥"]);
    case 5: return int(r, -10, 120);
    case 6: return stringOf(r, PRINTABLE, int(r, 0, 5));
    case 7: return Array.from({ length: int(r, 0, 4) }, () => randomJsonValue(r, depth + 1));
    default: {
      const keys = [
        ...["league", "season", "date", "homeTeam", "awayTeam", "homeGoals", "awayGoals"],
        ...["__proto__", "constructor", "x"],
      ];
      return Object.fromEntries(Array.from({ length: int(r, 0, 6) }, () => [pick(r, keys), randomJsonValue(r, depth + 1)]));
    }
  }
}

/** Names a JSON body may carry: the same kinds as UNICODE_NAMES, and a lone surrogate. */
const UNICODE_BODY_NAMES = [
  "İstanbul FC", "Ολυμπιακός", "Ａrsenal", "Arsenal\u202e", "Ars\u200benal", "Arsenal\u0301", "ﬁorentina", "𝐀rsenal",
  "\ud800", "\u0000", "Everton\u2028",
];

/** Almost-valid bodies: the right fields with one or two values or types wrong. */
function nearlyValidBody(r: Random, route: "fixture" | "result" | "refit"): Record<string, unknown> {
  const base: Record<string, unknown> =
    route === "fixture"
      ? {
          league: "E0",
          season: "2026-2027",
          date: "2026-09-12",
          homeTeam: chance(r, 0.2) ? pick(r, UNICODE_BODY_NAMES) : "Everton",
          awayTeam: `Fuzz ${int(r, 1, 50)} FC`,
        }
      : route === "result"
        ? { homeGoals: int(r, 0, 9), awayGoals: int(r, 0, 9) }
        : { league: "E0" };
  for (let i = 0; i < int(r, 0, 2); i++) {
    const key = chance(r, 0.8) ? pick(r, Object.keys(base)) : pick(r, ["extra", "__proto__", "id", "status"]);
    base[key] = randomJsonValue(r);
  }
  return base;
}

function randomBody(r: Random, route: "fixture" | "result" | "refit"): string | Buffer {
  switch (int(r, 0, 13)) {
    case 0:
    case 1:
    case 2:
    case 3:
      return JSON.stringify(nearlyValidBody(r, route));
    case 4:
      return JSON.stringify(randomJsonValue(r));
    case 5:
      return JSON.stringify(nearlyValidBody(r, route)).slice(0, int(r, 0, 30)); // truncated
    case 6:
      return "[".repeat(int(r, 100, 8_000)) + "]".repeat(int(r, 0, 100)); // deep nesting, under 16 kB
    case 7:
      return Buffer.from(Array.from({ length: int(r, 1, 300) }, () => int(r, 0, 255))); // invalid UTF-8 and all
    case 8:
      return `\ufeff${JSON.stringify(nearlyValidBody(r, route))}`;
    case 9:
      return '{"homeGoals":1,"homeGoals":"two","awayGoals":1,"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}';
    case 10:
      return pick(r, ["", "null", "true", "0", '"string"', "[]", "{}", "NaN", "{'a':1}", "homeGoals=1&awayGoals=2", "<xml/>"]);
    case 11:
      return JSON.stringify({ ...nearlyValidBody(r, route), pad: "x".repeat(int(r, 1_000, 15_000)) });
    case 12:
      // Numbers JSON.parse turns into Infinity, -0 or a float that looks whole.
      return `{"homeGoals":${pick(r, ["1e309", "-1e309", "-0", "1.0000000000000001", "1E1", "0.5e1"])},"awayGoals":1}`;
    default:
      return stringOf(r, PRINTABLE, int(r, 0, 400));
  }
}

/** A write endpoint; `routed` when method and path name a real route, so authorisation is what decides. */
function writeTarget(r: Random): { method: string; path: string; route: "fixture" | "result" | "refit"; routed: boolean } {
  switch (int(r, 0, 3)) {
    case 0:
      return { method: "POST", path: "/api/v1/matches", route: "fixture", routed: true };
    case 1:
      return { method: "PUT", path: `/api/v1/matches/${int(r, 1, 13_400)}/result`, route: "result", routed: true };
    case 2:
      return { method: "POST", path: "/api/v1/models/refit", route: "refit", routed: true };
    default:
      return {
        method: pick(r, ["PUT", "POST", "PATCH"]),
        path: `/api/v1/matches/${pick(r, SEGMENTS)}/result`,
        route: "result",
        routed: false,
      };
  }
}

const TOKEN_KINDS: TokenKind[] = [
  "valid", "validArrayScope", "readScope", "emptyScope", "expired", "wrongSecret", "algNone", "hs512", "wrongIssuer",
  "wrongAudience", "noSubject", "noExpiry", "notYetValid", "numericScope", "mixedScope", "hugeClaim", "tampered", "unsigned",
  "emptySubject", "numericSubject", "newlineSubject", "bidiSubject", "longSubject", "futureIssuedAt",
];

function authorization(r: Random, tokens: Record<TokenKind, string>): { header?: string; token?: TokenKind } {
  if (chance(r, 0.75)) {
    const token = pick(r, TOKEN_KINDS);
    return { header: `${pick(r, ["Bearer ", "Bearer ", "bearer ", "BEARER "])}${tokens[token]}`, token };
  }
  const garbage = [
    "", "Bearer", "Bearer ", "Bearer  " + tokens.valid, "Basic dXNlcjpwYXNz", "Bearer a.b.c", "Bearer a.b", "Bearer ...",
    `Bearer ${tokens.valid} extra`, `Token ${tokens.valid}`, `Bearer ${"a".repeat(10_000)}.b.c`,
    `Bearer ${stringOf(r, PRINTABLE, int(r, 1, 200))}`, `Bearer ${tokens.valid.replace(/\./g, "")}`,
  ];
  return { header: pick(r, garbage) };
}

function randomIp(r: Random): string {
  return chance(r, 0.9)
    ? `${int(r, 1, 223)}.${int(r, 0, 255)}.${int(r, 0, 255)}.${int(r, 1, 254)}`
    : `2001:db8::${int(r, 1, 65_535).toString(16)}`;
}

/**
 * Mostly a client address of its own, so the per-client limit does not swallow the fuzz; some share one, and some
 * forge: entries of their own left of the address the proxy wrote, or values that are no address at all.
 */
function clientHeaders(r: Random): Record<string, string> {
  if (chance(r, 0.05)) return {};
  if (chance(r, 0.05)) {
    const garbage = [
      "", "x", "999.999.999.999", "1.2.3.4, 5.6.7.8", "::1", "unknown, , ,", "a".repeat(300), "evil-not-an-ip",
      "1.2.3.4:8080", "[2001:db8::1]:443", "::ffff:198.51.100.3", "0x7f000001", "127.1", "fe80::1%eth0",
      "2001:db8::1, 2001:db8::2", `${"10.0.0.1, ".repeat(200)}203.0.113.9`, "1.2.3.4,,5.6.7.8", "%31.2.3.4",
      "\u00b9.\u00b2.\u00b3.4",
    ];
    return { "x-forwarded-for": pick(r, garbage) };
  }
  if (chance(r, 0.05)) return { "x-forwarded-for": `${randomIp(r)}, ${randomIp(r)}`, forwarded: `for=${randomIp(r)}` };
  return { "x-forwarded-for": randomIp(r) };
}

function weirdHeaders(r: Random): Record<string, string | string[]> {
  const candidates: Array<() => [string, string | string[]]> = [
    () => [
      "x-request-id",
      pick(r, [
        "", "ok-id-1", "a".repeat(129), "../../etc", "id with spaces", stringOf(r, HEADER_VALUE, int(r, 1, 200)),
        "00000000-0000-0000-0000-000000000000", "fuzz-20261123-1",
      ]),
    ],
    () => ["accept", pick(r, ["", "*/*", "text/html", "application/xml;q=0", "garbage/;;;", stringOf(r, HEADER_VALUE, 50)])],
    () => ["accept-encoding", pick(r, ["gzip", "br", "identity;q=0", "*;q=0", "x".repeat(500)])],
    () => ["content-type", pick(r, CONTENT_TYPES)],
    () => ["host", pick(r, ["", "evil.example", "localhost:99999", "[::1]", "a".repeat(300)])],
    () => ["range", pick(r, ["bytes=0-1", "bytes=-1", "bytes=9-1", "garbage"])],
    () => ["if-none-match", pick(r, ['"x"', "*", "W/\"1\""])],
    () => ["if-modified-since", pick(r, ["Thu, 01 Jan 1970 00:00:00 GMT", "yesterday"])],
    () => ["cookie", stringOf(r, HEADER_VALUE, int(r, 0, 4_000))],
    () => ["expect", pick(r, ["100-continue", "200-ok", "nonsense"])],
    () => ["origin", pick(r, ["null", "https://evil.example", "file://"])],
    () => ["x-http-method-override", pick(r, ["DELETE", "PUT", "TRACE"])],
    () => ["user-agent", stringOf(r, HEADER_VALUE, int(r, 0, 500))],
    () => ["x-forwarded-proto", pick(r, ["https", "gopher", ""])],
    () => ["x-forwarded-host", pick(r, ["evil.example", ""])],
    () => ["x-real-ip", pick(r, ["1.2.3.4", "evil", ""])],
    () => ["forwarded", pick(r, ["for=1.2.3.4", 'for="[2001:db8::1]"', "for=unknown", "garbage"])],
    () => ["accept-language", stringOf(r, HEADER_VALUE, 40)],
    () => ["connection", pick(r, ["close", "keep-alive", "upgrade", "TE, close"])],
    () => ["upgrade", pick(r, ["websocket", "h2c", "HTTP/2.0"])],
    () => ["te", pick(r, ["trailers", "gzip"])],
    () => ["x-duplicate", ["a", "b", "c"]],
    () => [stringOf(r, TOKEN_CHARS, int(r, 1, 40)), stringOf(r, HEADER_VALUE, int(r, 0, 100))],
  ];
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i < int(r, 1, 8); i++) {
    const [name, value] = pick(r, candidates)();
    headers[name] = value;
  }
  return headers;
}

/** An HTTP/1.1 request as bytes: the request line, then each header line, a blank line and the body. */
const wire = (lines: readonly string[], body = "") => `${lines.map((line) => `${line}\r\n`).join("")}\r\n${body}`;

function rawCase(r: Random, tokens: Record<TokenKind, string>): RawCase {
  const body = '{"homeGoals":1,"awayGoals":0}';
  const json = ["Host: a", "Content-Type: application/json"];
  const bearer = `Authorization: Bearer ${tokens.valid}`;
  const close = "Connection: close";
  const cases: Array<[string, () => string | Buffer, boolean?]> = [
    [
      "garbage bytes",
      () => Buffer.concat([Buffer.from(Array.from({ length: int(r, 1, 2_000) }, () => int(r, 0, 255))), Buffer.from("\r\n\r\n")]),
    ],
    ["unknown method", () => wire(["FOO /api/v1/ping HTTP/1.1", "Host: a", close])],
    ["no Host on HTTP/1.1", () => wire(["GET /api/v1/ping HTTP/1.1", close])],
    ["HTTP/1.0 without Host", () => wire(["GET /api/v1/ping HTTP/1.0"])],
    ["HTTP/0.9", () => wire(["GET /"])],
    ["HTTP/9.9", () => wire(["GET /api/v1/ping HTTP/9.9", "Host: a", close])],
    ["HTTP/2 preface", () => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"],
    ["header without colon", () => wire(["GET /api/v1/ping HTTP/1.1", "Host: a", "NoColonHere", close])],
    ["control character in a header", () => wire(["GET /api/v1/ping HTTP/1.1", "Host: a", "X-A: a\u0001b", close])],
    ["NUL in the path", () => wire(["GET /api/v1/pi\u0000ng HTTP/1.1", "Host: a", close])],
    ["obs-fold", () => wire(["GET /api/v1/ping HTTP/1.1", "Host: a", "X-A: a", "  folded", close])],
    ["space before colon", () => wire(["GET /api/v1/ping HTTP/1.1", "Host : a", close])],
    ["bare LF line endings", () => "GET /api/v1/ping HTTP/1.1\nHost: a\nConnection: close\n\n"],
    [
      "conflicting Content-Length",
      () =>
        wire(
          [
            "PUT /api/v1/matches/1/result HTTP/1.1",
            ...json,
            bearer,
            "Content-Length: 5",
            `Content-Length: ${body.length}`,
            close,
          ],
          body,
        ),
    ],
    [
      "Content-Length with Transfer-Encoding",
      () =>
        wire(
          ["POST /api/v1/models/refit HTTP/1.1", ...json, "Content-Length: 4", "Transfer-Encoding: chunked", close],
          "0\r\n\r\n",
        ),
    ],
    [
      "bad chunk size",
      () =>
        wire(
          ["POST /api/v1/models/refit HTTP/1.1", ...json, bearer, "Transfer-Encoding: chunked", close],
          "ZZ\r\n{}\r\n0\r\n\r\n",
        ),
    ],
    ["negative Content-Length", () => wire(["POST /api/v1/models/refit HTTP/1.1", "Host: a", "Content-Length: -1", close])],
    [
      "huge Content-Length, short body",
      () =>
        wire(["PUT /api/v1/matches/2/result HTTP/1.1", ...json, bearer, "Content-Length: 99999999999", close], '{"homeGoals":1'),
      true,
    ],
    [
      "body cut short",
      () => wire(["PUT /api/v1/matches/3/result HTTP/1.1", ...json, bearer, "Content-Length: 100", close], body.slice(0, 10)),
      true,
    ],
    ["headers cut short", () => "GET /api/v1/leagues HTTP/1.1\r\nHost: a\r\nX-Partial: yes", true],
    ["request line of 20 kB", () => wire([`GET /api/v1/matches?team=${"a".repeat(20_000)} HTTP/1.1`, "Host: a", close])],
    ["header of 20 kB", () => wire(["GET /api/v1/ping HTTP/1.1", "Host: a", `X-Big: ${"b".repeat(20_000)}`, close])],
    [
      "2,500 headers",
      () => wire(["GET /api/v1/ping HTTP/1.1", "Host: a", ...Array.from({ length: 2_500 }, (_, i) => `X-${i}: 1`), close]),
    ],
    [
      "UTF-8 bytes in the path",
      () =>
        Buffer.concat([
          Buffer.from("GET /api/v1/teams/"),
          Buffer.from("é💥", "utf8"),
          Buffer.from(wire([" HTTP/1.1", "Host: a", close])),
        ]),
    ],
    ["absolute-form target", () => wire(["GET http://evil.example/api/v1/ping HTTP/1.1", "Host: a", close])],
    ["CONNECT", () => wire(["CONNECT evil.example:443 HTTP/1.1", "Host: evil.example:443"])],
    ["OPTIONS *", () => wire(["OPTIONS * HTTP/1.1", "Host: a", close])],
    ["TRACE", () => wire(["TRACE /api/v1/ping HTTP/1.1", "Host: a", close])],
    [
      "pipelined requests",
      () =>
        wire(["GET /api/v1/ping HTTP/1.1", "Host: a"]) +
        wire(["GET /api/v1/nope HTTP/1.1", "Host: a"]) +
        wire(["GET /health HTTP/1.1", "Host: a", close]),
    ],
    [
      "chunk extension flood",
      () =>
        wire(
          ["POST /api/v1/models/refit HTTP/1.1", ...json, "Transfer-Encoding: chunked", close],
          `2;${"x=y;".repeat(5_000)}\r\n{}\r\n0\r\n\r\n`,
        ),
    ],
    [
      "websocket upgrade",
      () =>
        wire([
          "GET /api/v1/ping HTTP/1.1",
          "Host: a",
          "Connection: Upgrade",
          "Upgrade: websocket",
          "Sec-WebSocket-Version: 13",
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        ]),
      true,
    ],
  ];
  const [name, bytes, halfClose] = pick(r, cases);
  const data = bytes();
  const raw = Buffer.isBuffer(data) ? data : Buffer.from(data, "latin1");
  return { transport: "raw", category: "raw", name, bytes: raw, halfClose };
}

const httpCase = (category: string, spec: Omit<RequestSpec, "kind">, extra: Partial<HttpCase> = {}): HttpCase => ({
  transport: "http",
  category,
  spec: { kind: category, ...spec },
  ...extra,
});

/** Case `index` of the run: depends only on the seed and the index. */
function fuzzCase(index: number, tokens: Record<TokenKind, string>): FuzzCase {
  const r = prng((SEED ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const roll = r();
  if (roll < 0.2) {
    const method = pick(r, METHODS);
    const path = randomPath(r) + (chance(r, 0.2) ? randomQuery(r) : "");
    return httpCase("path", { method, path, headers: clientHeaders(r) });
  }
  if (roll < 0.4) {
    const method = chance(r, 0.9) ? "GET" : pick(r, METHODS);
    const path = pick(r, QUERY_ENDPOINTS) + randomQuery(r);
    return httpCase("query", { method, path, headers: clientHeaders(r) });
  }
  if (roll < 0.6) {
    const target = writeTarget(r);
    const auth = chance(r, 0.6) ? { header: `Bearer ${tokens.valid}`, token: "valid" as TokenKind } : authorization(r, tokens);
    const contentType = chance(r, 0.8) ? "application/json" : pick(r, CONTENT_TYPES);
    const headers: Record<string, string> = { ...clientHeaders(r) };
    if (contentType !== "") headers["content-type"] = contentType;
    if (auth.header !== undefined) headers.authorization = auth.header;
    const path = target.path + (chance(r, 0.1) ? randomQuery(r) : "");
    const body = chance(r, 0.05) ? undefined : randomBody(r, target.route);
    return httpCase("body", { method: target.method, path, headers, body }, { token: auth.token });
  }
  if (roll < 0.75) {
    const target = writeTarget(r);
    const auth = authorization(r, tokens);
    const headers: Record<string, string> = { ...clientHeaders(r), "content-type": "application/json" };
    if (auth.header !== undefined) headers.authorization = auth.header;
    const body = JSON.stringify(nearlyValidBody(r, target.route));
    const extra = { token: auth.token, routed: target.routed };
    return httpCase("auth", { method: target.method, path: target.path, headers, body }, extra);
  }
  if (roll < 0.87) {
    const method = chance(r, 0.8) ? "GET" : pick(r, METHODS);
    const path = chance(r, 0.7) ? pick(r, QUERY_ENDPOINTS) : randomPath(r);
    const headers = { ...clientHeaders(r), ...weirdHeaders(r) };
    return httpCase("headers", { method, path, headers, body: chance(r, 0.2) ? randomBody(r, "refit") : undefined });
  }
  if (roll < 0.91) {
    const target = writeTarget(r);
    const headers: Record<string, string> = { ...clientHeaders(r), "content-type": "application/json" };
    if (chance(r, 0.7)) headers.authorization = `Bearer ${tokens.valid}`;
    const size = pick(r, [16 * 1024 + 1, 17_000, 64 * 1024, 256 * 1024, 1024 * 1024]);
    const body = chance(r, 0.5) ? `{"pad":"${"x".repeat(size)}"}` : `[${"1,".repeat(size / 2)}1]`;
    if (chance(r, 0.2)) {
      return httpCase("oversized", { method: "GET", path: `/api/v1/matches?team=${"a".repeat(size / 16)}`, headers });
    }
    const token = headers.authorization === undefined ? undefined : ("valid" as TokenKind);
    return httpCase("oversized", { method: target.method, path: target.path, headers, body }, { token });
  }
  return rawCase(r, tokens);
}

// ---------------------------------------------------------------------------------------------------------------

const requestIdOf = (index: number) => `fuzz-${SEED}-${index}`;

/** Node's default --max-http-header-size: the request line and headers together. */
const NODE_MAX_HEADER_SIZE = 16 * 1024;

function headerBlockSize(spec: RequestSpec): number {
  const headers = Object.entries(spec.headers ?? {}).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).map((v) => `${name}: ${v}\r\n`),
  );
  return `${spec.method ?? "GET"} ${spec.path} HTTP/1.1\r\n`.length + headers.join("").length;
}

interface Outcome {
  index: number;
  fuzz: FuzzCase;
  status?: number;
  statuses: number[];
  error?: string;
  sample?: Omit<Sample, "worker">;
}

function describeCase(outcome: Outcome): string {
  const { fuzz } = outcome;
  const what =
    fuzz.transport === "raw"
      ? `raw "${fuzz.name}"`
      : `${fuzz.spec.method ?? "GET"} ${fuzz.spec.path.slice(0, 200)}${fuzz.token === undefined ? "" : ` token=${fuzz.token}`}`;
  const result = outcome.error ?? outcome.statuses.join(",");
  return `case ${outcome.index} (FUZZ_SEED=${SEED} FUZZ_ONLY=${outcome.index}) ${fuzz.category}: ${what} -> ${result}`;
}

describe("faults: fuzz", function () {
  this.timeout(300_000);
  let redis: RedisServer;
  let service: ServiceProcess;
  let tokens: Record<TokenKind, string>;

  before(async () => {
    // LOG_LEVEL=info: the access log tells which requests the application answered. The drill's connections come
    // from 127.0.0.1, which stands for the ingress: the X-Forwarded-For entries it vouches for name the clients.
    ({ redis, service } = await startDrillStack({
      RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
      LOG_LEVEL: "info",
      TRUSTED_PROXIES: "127.0.0.1",
      // The page as users get it: built, so `/` and its routes answer the page rather than "not built".
      WEB_ROOT: await builtWebPage(),
    }));
    tokens = await mintTokens();
  });

  after(async () => {
    await service?.stop();
    await redis?.destroy();
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") console.log(service.log.slice(-3000));
  });

  const count = ONLY === undefined ? CASES : ONLY.length;
  it(`${count} malformed requests: no 5xx, nothing dropped, no forged token accepted, no crash`, async () => {
    const indices = ONLY ?? Array.from({ length: CASES }, (_, i) => i);
    const outcomes: Outcome[] = [];
    let nextIndex = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: ONLY === undefined ? WORKERS : 1 }, async () => {
        let agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        while (nextIndex < indices.length) {
          const index = indices[nextIndex++];
          const fuzz = fuzzCase(index, tokens);
          if (fuzz.transport === "raw") {
            const raw = await rawExchange(service.port, [{ data: fuzz.bytes }], 5_000, { halfClose: fuzz.halfClose });
            const error = raw.status === undefined ? `no answer (${raw.ended})` : undefined;
            outcomes.push({ index, fuzz, status: raw.status, statuses: raw.statuses, error });
            continue;
          }
          // Tagged, so the service's access log tells whether it answered a request whose connection then broke.
          const headers = { "x-request-id": requestIdOf(index), ...fuzz.spec.headers };
          const sample = await send(agent, service.port, { ...fuzz.spec, headers }, 10_000);
          const statuses = sample.status === undefined ? [] : [sample.status];
          outcomes.push({ index, fuzz, status: sample.status, statuses, error: sample.error, sample });
          // Node's own answers (no X-Request-Id: 417 to an Expect it does not support, 400, 431) may leave the
          // connection unusable (a body it did not read is parsed as the next request), and so does a request
          // with `Connection: upgrade` and `Upgrade`: Node answers it normally (no upgrade handler) but then
          // treats the connection as upgraded and ignores whatever comes next. A client reconnects.
          const upgrade = Object.keys(fuzz.spec.headers ?? {}).some((name) => name.toLowerCase() === "upgrade");
          if (upgrade || sample.error !== undefined || sample.headers?.["x-request-id"] === undefined) {
            agent.destroy();
            agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
          }
        }
        agent.destroy();
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    if (ONLY !== undefined) {
      for (const o of outcomes) console.log(describeCase(o), o.sample?.headers, o.sample?.body?.slice(0, 500));
    }


    // Every request the server accepted got an answer. A broken connection is acceptable only where the server
    // answered and then stopped reading what the client was still sending (its access log has the answer, e.g.
    // 401 or 413 before a megabyte of body), or where Node's parser refused a header block over its 16 kB
    // limit (431, then the connection is closed). Raw cases may also be closed unanswered, as Node's parser does
    // with what it cannot parse (CONNECT without a handler, a truncated request).
    const unsent = outcomes.filter((o) => o.error?.startsWith("client:") === true);
    assert.deepEqual(unsent.map(describeCase), [], "cases Node's client refused to send (fix the generator)");
    const answered = service.answeredRequests();
    const brokenConnections = { answeredThenClosed: 0, headerBlockTooLarge: 0 };
    const dropped = outcomes.filter((o) => {
      if (o.fuzz.transport !== "http" || o.error === undefined) return false;
      const status = answered.get(requestIdOf(o.index));
      if (status !== undefined) {
        o.statuses.push(status);
        brokenConnections.answeredThenClosed += 1;
        return false;
      }
      if (headerBlockSize(o.fuzz.spec) > NODE_MAX_HEADER_SIZE) {
        brokenConnections.headerBlockTooLarge += 1;
        return false;
      }
      return true;
    });
    assert.deepEqual(dropped.map(describeCase), [], "requests without an answer");
    const serverErrors = outcomes.filter((o) => o.statuses.some((status) => status >= 500));
    assert.deepEqual(serverErrors.map(describeCase), [], "5xx answers");
    const rawTimeouts = outcomes.filter((o) => o.fuzz.transport === "raw" && o.error === "no answer (timeout)");
    assert.deepEqual(rawTimeouts.map(describeCase), [], "raw requests left hanging");

    // Authorisation: a forged, expired or malformed token, or one without the write scope, never gets a write
    // through; on a real write route the answer is exactly 401, or 403 for an authentic token without the scope.
    for (const o of outcomes) {
      const status = o.status ?? o.statuses[0];
      if (o.fuzz.transport !== "http" || o.fuzz.category !== "auth" || status === undefined || status === 429) continue;
      const { token } = o.fuzz;
      if (token !== undefined && GOOD_TOKENS.has(token)) continue;
      assert.ok(status >= 400 && status !== 409, describeCase(o));
      if (o.fuzz.routed === true) {
        const expected = token !== undefined && WRONG_SCOPE_TOKENS.has(token) ? 403 : 401;
        assert.equal(status, expected, describeCase(o));
      }
    }

    // The ops endpoints are not on the public port, whatever the spelling of their path.
    const opsOnPublicPort = outcomes.filter(
      (o) => o.fuzz.transport === "http" && /^\/(health|ready|metrics)\b/.test(o.fuzz.spec.path) && o.status === 200,
    );
    assert.deepEqual(opsOnPublicPort.map(describeCase), [], "ops endpoints answered on the public port");

    // Errors the application answers (it sets X-Request-Id) carry its JSON error shape.
    for (const o of outcomes) {
      const sample = o.sample;
      if (sample?.status === undefined || sample.status < 400 || sample.spec.method === "HEAD") continue;
      if (sample.headers?.["x-request-id"] === undefined) continue; // Node's own 400/417/431, before the app
      const body = JSON.parse(sample.body ?? "null") as { error?: { code?: unknown; requestId?: unknown } } | null;
      assert.ok(typeof body?.error?.code === "string" && typeof body.error.requestId === "string", describeCase(o));
    }

    assert.ok(service.alive, "the service process is still running");
    if (ONLY !== undefined) return;

    // A burst over the limit from one client: 429 with Retry-After once the minute's budget is spent.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const burst = await Promise.all(
      Array.from({ length: RATE_LIMIT + 40 }, () =>
        send(agent, service.port, { kind: "burst", path: "/api/v1/ping", headers: { "x-forwarded-for": "198.51.100.7" } }),
      ),
    );
    agent.destroy();
    const limited = burst.filter((s) => s.status === 429);
    assert.deepEqual(tally(burst, (s) => String(s.status ?? s.error)), { 200: RATE_LIMIT, 429: 40 });
    for (const sample of limited) {
      assert.match(String(sample.headers?.["retry-after"]), /^[1-9]\d*$/);
      assert.match(sample.body ?? "", /"code":"rate_limited"/);
    }

    // Still healthy, ready and predicting; nothing logged at error level.
    const afterwards: Array<[number, string]> = [
      [service.opsPort, "/health"],
      [service.opsPort, "/ready"],
      [service.port, "/api/v1/predictions?league=E0&home=Arsenal&away=Chelsea"],
    ];
    for (const [port, path] of afterwards) {
      const spec = { kind: "after", path, headers: { "x-forwarded-for": "192.0.2.99" } };
      const answer = await send(new http.Agent(), port, spec);
      assert.equal(answer.status, 200, path);
    }
    assert.deepEqual(service.errorLines(), [], "error-level log lines");

    report("fuzz", {
      seed: SEED,
      cases: outcomes.length,
      seconds: Math.round(seconds * 10) / 10,
      byCategory: tally(outcomes, (o) => o.fuzz.category),
      statuses: tally(outcomes, (o) => (o.status === undefined ? (o.error ?? "none") : String(o.status))),
      rateLimitedInFuzz: outcomes.filter((o) => o.status === 429).length,
      brokenConnections,
      rawUnanswered: tally(
        outcomes.filter((o) => o.fuzz.transport === "raw" && o.status === undefined),
        (o) => (o.fuzz.transport === "raw" ? o.fuzz.name : ""),
      ),
      burst: tally(burst, (s) => String(s.status)),
    });
  });
});
