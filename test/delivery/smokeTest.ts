import { spawn } from "node:child_process";
import path from "node:path";
import { REPO_ROOT } from "./dockerfile";

export const SMOKE_TEST_SCRIPT = path.join(REPO_ROOT, "scripts", "smoke-test.sh");

/** Runs scripts/smoke-test.sh as the deploy workflow does; resolves with its exit status and combined output. */
export function runSmokeTest(
  baseUrl: string | undefined,
  env: Record<string, string> = {},
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(SMOKE_TEST_SCRIPT, baseUrl === undefined ? [] : [baseUrl], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, output }));
  });
}
