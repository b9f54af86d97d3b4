// The command line of `npm run bench` (bench/index.ts lists the options).
import { parseArgs } from "node:util";
import { parseSelection } from "./selection";

/** The run's settings from the command line; a malformed option is an error naming it. */
export function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: "string", default: "15" },
      "soak-duration": { type: "string", default: "60" },
      quick: { type: "boolean", default: false },
      "skip-build": { type: "boolean", default: false },
      only: { type: "string" },
      compare: { type: "string" },
    },
    strict: true,
  });
  if (values.compare !== undefined && values.only !== undefined) throw new Error("--compare runs alone: drop --only");
  const seconds = (name: string, text: string) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < 1) throw new Error(`--${name} must be a number of seconds (at least 1)`);
    return value;
  };
  const quick = values.quick;
  return {
    selection: parseSelection(values.only),
    /** The folder holding the baseline build for --compare, as given. */
    compare: values.compare,
    pageLoads: quick ? 3 : 10,
    quick,
    seconds: quick ? 3 : seconds("duration", values.duration),
    soakSeconds: quick ? 10 : seconds("soak-duration", values["soak-duration"]),
    warmupSeconds: quick ? 1 : 3,
    build: !values["skip-build"],
    /** Requests of the uncached fixtures scenario: every never-asked date range, or fewer when quick. */
    coldLimit: quick ? 1_500 : Number.POSITIVE_INFINITY,
    model: quick
      ? { league: "E0", fitRuns: 3, predictRounds: 3, predictCalls: 20_000 }
      : { league: "E0", fitRuns: 10, predictRounds: 7, predictCalls: 200_000 },
  };
}
