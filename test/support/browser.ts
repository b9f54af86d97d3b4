/**
 * Debian's Chromium (scripts/setup.sh installs it) driven by playwright-core, and the built web page: what the
 * browser tests and the bench load.
 */
import fs from "node:fs";
import path from "node:path";
import { type BrowserContext, type Page, chromium } from "playwright-core";
import { removeAtExit } from "./cleanup";
import { REPO_ROOT, run } from "./processes";
import { makeTempDir } from "./tempDir";

export const CHROMIUM_PATH = "/usr/bin/chromium";
export const WEB_DIR = path.join(REPO_ROOT, "web");

/** Quiet and offline: no first-run UI, no update or sync traffic, no QUIC, nothing a test did not ask for. */
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Chromium with a fresh profile of its own (removed at the end of the run); closing the context ends it. */
export async function launchChromium(options: { width: number; height: number; locale: string }): Promise<BrowserContext> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: source scripts/setup.sh (it installs Debian's chromium)`);
  }
  const userDataDir = makeTempDir("fp-chromium-");
  removeAtExit(userDataDir);
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: options.width, height: options.height },
    locale: options.locale,
  });
}

let built: Promise<string> | undefined;

/** The page built once per run into a scratch folder (as `npm run build -w web` builds web/dist). */
export function builtWebPage(): Promise<string> {
  built ??= (async () => {
    const outDir = makeTempDir("fp-web-");
    removeAtExit(outDir);
    const vite = path.join(path.dirname(require.resolve("vite/package.json", { paths: [WEB_DIR] })), "bin", "vite.js");
    await run(process.execPath, [vite, "build", "--outDir", outDir, "--emptyOutDir", "--logLevel", "warn"], {
      cwd: WEB_DIR,
      timeoutMs: 120_000,
    });
    return outDir;
  })();
  return built;
}

export interface PageProblems {
  /** Console errors, uncaught exceptions and Content-Security-Policy violations, as text. */
  readonly list: string[];
}

/**
 * Collects everything that should never happen on a page: console errors, uncaught exceptions, CSP violations
 * (reported by the page's own securitypolicyviolation event, installed before any of its scripts run).
 */
export async function watchProblems(page: Page): Promise<PageProblems> {
  const list: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") list.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => list.push(`exception: ${error.message}`));
  await page.exposeFunction("__reportCspViolation", (text: string) => list.push(`CSP: ${text}`));
  // Runs in the page, before its own scripts; a string, as the tests' TypeScript knows no DOM.
  await page.addInitScript({
    content: `document.addEventListener("securitypolicyviolation", (event) =>
      window.__reportCspViolation(event.violatedDirective + " blocked " + (event.blockedURI || "inline")));`,
  });
  return { list };
}

const AXE_SOURCE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown }>;
}

/** axe-core run in the page (evaluated through the DevTools protocol, so the page's CSP does not apply to it). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate<{ violations: AxeViolation[] }>("axe.run(document)");
  return result.violations.map(({ id, impact, help, nodes }) => ({ id, impact, help, nodes: nodes.map((n) => ({ target: n.target })) }));
}
