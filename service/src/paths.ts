import path from "node:path";

/**
 * The folder the user ran the command in. npm runs a workspace's scripts in the workspace folder (service/) and
 * passes the folder `npm run` was started in as INIT_CWD, so `npm run backtest -- --svg plot.svg` at the
 * repository root means ./plot.svg there, as it would for any other program. Run directly, that is the cwd.
 */
export function invocationDir(env: NodeJS.ProcessEnv = process.env): string {
  const initCwd = env.INIT_CWD;
  return initCwd !== undefined && path.isAbsolute(initCwd) ? initCwd : process.cwd();
}

/** A path the user gave, relative to where they ran the command. */
export function resolveFromInvocation(given: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(invocationDir(env), given);
}

/** A path as the user should read it: relative to where they ran the command when it lies below it. */
export function displayPath(absolute: string, env: NodeJS.ProcessEnv = process.env): string {
  const relative = path.relative(invocationDir(env), absolute);
  return relative === "" || relative.startsWith("..") || path.isAbsolute(relative) ? absolute : relative;
}
