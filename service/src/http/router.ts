import findMyWay, { type HTTPMethod } from "find-my-way";
import type { DefaultState, Middleware, ParameterizedContext } from "koa";
import compose from "koa-compose";

/** What a route's middleware sees beyond Koa's context: its path parameters, URI-decoded, letter case kept. */
export interface RouteParams {
  params: Record<string, string | undefined>;
}

export type RouteMiddleware<State> = Middleware<State, RouteParams>;

/** A route's full pattern (prefix included) and its middleware, composed when it was registered. */
interface Route<State> {
  pattern: string;
  handle: RouteMiddleware<State>;
}

/** find-my-way calls no handler of ours (routes() only asks it for a route's store); onBadUrl's answers have none. */
const unused = () => undefined;

/** Koa parses the query string itself (ctx.query): find-my-way only splits it off the URL. */
const NO_QUERY = Object.freeze({});

/**
 * Koa routing over find-my-way's radix tree (every request of the API goes through it; @koa/router tested each
 * route's regex in turn). Defaults are @koa/router's, which clients may rely on: case-insensitive paths with an
 * optional trailing slash, HEAD answered by GET routes, OPTIONS and 405 with `Allow` for a path served under
 * other methods.
 */
export class Router<State = DefaultState> {
  private readonly prefix: string;
  private readonly tree = findMyWay({
    caseSensitive: false,
    ignoreTrailingSlash: true,
    // find-my-way's 100-character bound guards regex parameters, which these routes do not use: an over-long id is
    // the route's validation's to refuse (400), as it was with @koa/router, rather than a 404.
    maxParamLength: Number.MAX_SAFE_INTEGER,
    querystringParser: () => NO_QUERY,
    onBadUrl: unused,
  });
  /** Methods in the order first registered, so `Allow` lists them as @koa/router did (HEAD before GET). */
  private readonly methods: HTTPMethod[] = [];
  /** Every route as registered, prefix included (the OpenAPI test compares them with the document). */
  readonly registered: Array<{ method: HTTPMethod; path: string }> = [];

  constructor(options: { prefix?: string } = {}) {
    this.prefix = options.prefix ?? "";
  }

  get(path: string, ...middleware: RouteMiddleware<State>[]): this {
    return this.register("GET", path, middleware);
  }

  post(path: string, ...middleware: RouteMiddleware<State>[]): this {
    return this.register("POST", path, middleware);
  }

  put(path: string, ...middleware: RouteMiddleware<State>[]): this {
    return this.register("PUT", path, middleware);
  }

  private register(method: HTTPMethod, path: string, middleware: RouteMiddleware<State>[]): this {
    const pattern = this.prefix + path;
    // A lone handler needs no composing: compose's dispatch would cost a closure and a promise on every request.
    const handle = middleware.length === 1 ? middleware[0] : compose(middleware);
    const route: Route<State> = { pattern, handle };
    this.tree.on(method, pattern, unused, route);
    if (!this.methods.includes(method)) this.methods.push(method);
    this.registered.push({ method, path: pattern });
    return this;
  }

  /**
   * find-my-way's match, or undefined. A path whose %-escapes do not decode (find-my-way answers it through onBadUrl,
   * with no store) is matched again with every % escaped: @koa/router matched the raw path and passed such a
   * parameter on undecoded, so the route's validation refuses it (400 invalid_path) instead of a 404.
   */
  private match(method: string, path: string) {
    let found = this.tree.find(method as HTTPMethod, path);
    if (found?.store === null) found = this.tree.find(method as HTTPMethod, path.replaceAll("%", "%25"));
    return found !== null && found.store !== null ? found : undefined;
  }

  /**
   * The one middleware: runs the matched route, answers OPTIONS (200) and other methods (405, bodyless: the error
   * handler writes the JSON) for a path served under other methods, and passes unknown paths on.
   */
  routes(): Middleware<State> {
    // find-my-way's compiled matcher (its "compiler mode": same matches as the tree walk, each method's tree turned
    // into generated code); a route registered later recompiles its tree on the next lookup.
    this.tree.compile();
    return (ctx, next) => {
      const requested = ctx.method;
      // Koa strips the body of a HEAD answer; what GET answers is what HEAD's headers describe.
      // The URL as it came (find-my-way splits off the query, and takes an absolute-form URL's path, as Koa's ctx.path
      // does): the compiled matcher works on it directly, and no request parses its URL a second time for Koa.
      const found = this.match(requested === "HEAD" ? "GET" : requested, ctx.url);
      if (found !== undefined) {
        const route = found.store as Route<State>;
        ctx.params = found.params;
        // observe() labels the request's metrics with it: the pattern keeps their cardinality bounded.
        (ctx as { _matchedRoute?: string })._matchedRoute = route.pattern;
        return route.handle(ctx as ParameterizedContext<State, RouteParams>, next);
      }
      const allowed = this.allowedMethods(ctx.url);
      if (allowed.length === 0) return next();
      ctx.set("Allow", allowed.join(", "));
      if (requested === "OPTIONS") {
        ctx.status = 200;
        ctx.body = "";
      } else {
        ctx.status = 405;
      }
    };
  }

  /** The methods a path is served under: probed only when the request's own method has no route there. */
  private allowedMethods(path: string): string[] {
    const allowed: string[] = [];
    for (const method of this.methods) {
      if (this.match(method, path) === undefined) continue;
      if (method === "GET") allowed.push("HEAD");
      allowed.push(method);
    }
    return allowed;
  }
}
