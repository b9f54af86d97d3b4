import type { Middleware, ParameterizedContext } from "koa";
import helmet from "koa-helmet";
import type { AppState } from "./context";

/**
 * OWASP's REST cheat sheet asks every API answer for a frame-ancestors policy, X-Frame-Options, HSTS and nosniff
 * (Content-Type is each route's), and of answers a browser might render, a policy forbidding every resource and no
 * referrer: all of these are set here, with helmet's same-origin resource policy. Its `Cache-Control: no-store` is
 * for sensitive answers, and these are public forecasts. Helmet's document-only headers (DNS prefetch, IE download
 * options, Flash policies, the retired XSS filter, agent clusters, opener policy) protect HTML pages; on JSON they
 * would only add bytes to every response.
 */
const HELMET_OPTIONS = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  xFrameOptions: { action: "deny" as const },
  referrerPolicy: { policy: "no-referrer" as const },
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
};

/**
 * koa-helmet's headers do not vary by request (no nonces are configured), so they are worked out once at
 * start and replayed on every response: the same headers at a fraction of the per-request cost, which keeps
 * /health and cached reads close to bare Koa.
 */
export async function securityHeaders(): Promise<Middleware<AppState>> {
  const headers = new Map<string, string>();
  const recorder = {
    req: { headers: {} },
    res: {
      setHeader: (name: string, value: unknown) => headers.set(name, String(value)),
      removeHeader: (name: string) => headers.delete(name),
      getHeader: (name: string) => headers.get(name),
    },
  };
  await helmet(HELMET_OPTIONS)(recorder as unknown as ParameterizedContext, async () => undefined);
  // In lower case, as HTTP/2 sends them and the cluster's Envoy forwards them (names are case-insensitive): Node's
  // setHeader keys its table by the lower-cased name, which for a name already in lower case is the very string
  // kept here, so no new string is made and looked up in V8's string table per header, per request.
  const fixed = [...headers].map(([name, value]) => [name.toLowerCase(), value] as const);
  // Straight onto Node's response: Koa's ctx.set(object) adds a lookup and type checks per header, per request.
  return (ctx, next) => {
    for (const [name, value] of fixed) ctx.res.setHeader(name, value);
    return next();
  };
}
