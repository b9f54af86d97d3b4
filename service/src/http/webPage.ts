import { existsSync } from "node:fs";
import path from "node:path";
import type { Middleware } from "koa";
import send from "koa-send";
import type { AppState } from "./context";

/** Where `npm run build -w web` writes the page: resolved from this module, so src/ (ts-node) and dist/ (tsc) agree. */
export const WEB_DIST_DIR = path.join(__dirname, "..", "..", "..", "web", "dist");

/**
 * The page's policy: its own scripts, styles and API only. No inline script or style, no third-party origin;
 * charts are inline SVG elements (not data: images), so `img-src data:` is only for the icon.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join("; ");

/** Vite names every file under assets/ by its content hash, so a cached copy can never be stale. */
const HASHED_ASSETS = "/assets/";
const IMMUTABLE = "public, max-age=31536000, immutable";

/** The page's addresses (web/src/router.ts): /, /match/<id>, /team/<id>, /model. */
const PAGE_ROUTES = /^\/(?:(?:match|team)\/[1-9][0-9]{0,9}|model)?\/?$/;

const isPageRequest = (method: string, urlPath: string) =>
  (method === "GET" || method === "HEAD") && !urlPath.startsWith("/api/");

/** The message `serve` answers at / when the page was never built: what to run instead of a blank 404. */
const NOT_BUILT = (dir: string) =>
  `The web page is not built (${dir} is missing). Run \`npm run build -w web\` at the repository root, ` +
  "or start the service with `npm run service`, which builds it first.\n";

/**
 * Serves the built page: files under /assets/ cached for a year, everything else that is not a file (the page's
 * own routes, /match/12 and so on) answered with index.html, never cached so a deploy shows at once. Requests
 * under /api/ pass through untouched, so the API's 404s stay JSON.
 */
export function webPage(root: string = WEB_DIST_DIR): Middleware<AppState> {
  const built = existsSync(path.join(root, "index.html"));
  return async (ctx, next) => {
    if (!isPageRequest(ctx.method, ctx.path)) return next();
    // One metrics label per kind, whatever the path: the page's routes are the client's business.
    (ctx as { _matchedRoute?: string })._matchedRoute = ctx.path.startsWith(HASHED_ASSETS) ? "/assets/*" : "/*";
    ctx.set("Content-Security-Policy", PAGE_CSP);
    if (!built) {
      // Only the page's own addresses say what is missing; everything else stays the JSON 404 it would be.
      if (!PAGE_ROUTES.test(ctx.path) && !ctx.path.startsWith(HASHED_ASSETS)) return next();
      ctx.status = 503;
      ctx.type = "text/plain";
      ctx.body = NOT_BUILT(root);
      return;
    }
    if (ctx.path.startsWith(HASHED_ASSETS)) {
      if (!(await sendFile(ctx, ctx.path))) ctx.throw(404, `no asset ${ctx.path}`);
      ctx.set("Cache-Control", IMMUTABLE);
      return;
    }
    const isFile = ctx.path !== "/" && path.extname(ctx.path) !== "";
    if (isFile && (await sendFile(ctx, ctx.path))) {
      ctx.set("Cache-Control", "no-cache");
      return;
    }
    if (isFile) ctx.throw(404, `no file ${ctx.path}`);
    // Only the page's own routes get the page: /health, /metrics and other mistakes stay JSON 404s.
    if (!PAGE_ROUTES.test(ctx.path)) return next();
    await sendFile(ctx, "/index.html");
    ctx.set("Cache-Control", "no-cache");
  };

  /** Cache-Control is set by the caller: koa-send's own spelling lacks `public`. */
  async function sendFile(ctx: Parameters<Middleware<AppState>>[0], file: string): Promise<boolean> {
    try {
      await send(ctx, file, { root, index: false, hidden: false });
      return true;
    } catch (error) {
      if ((error as { status?: number }).status === 404) return false;
      throw error;
    }
  }
}
