import path from "node:path";
import { REPO_ROOT, runUnchecked } from "../support/processes";

export const SMOKE_TEST_SCRIPT = path.join(REPO_ROOT, "scripts", "smoke-test.sh");

/**
 * Runs scripts/smoke-test.sh as the deploy workflow does, against the API (`serve`) or, with `web`, the page alone
 * (`web`); resolves with its exit status and combined output.
 */
export async function runSmokeTest(
  baseUrl: string | undefined,
  env: Record<string, string> = {},
  opsUrl?: string,
  web = false,
): Promise<{ status: number | null; output: string }> {
  const args = [...(web ? ["--web"] : []), baseUrl, opsUrl].filter((url): url is string => url !== undefined);
  const { code, output } = await runUnchecked(SMOKE_TEST_SCRIPT, args, {
    env: { PATH: process.env.PATH, ...env },
    timeoutMs: Infinity,
  });
  return { status: code, output };
}
