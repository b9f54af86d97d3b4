/**
 * What a test run leaves behind, removed when it ends. Under mocha, the `after` hooks below are registered outside
 * any `describe`, so they are root hooks: they run once, after every suite, whichever spec file loaded this module
 * first. Outside mocha (bench/ imports some of these modules) there is no `after`, and nothing is registered here:
 * the benchmark removes what it creates itself.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";

/** Names what this run creates on servers other engineers' tests share (databases, Redis keys). */
export const RUN_ID = `${process.pid}_${randomBytes(3).toString("hex")}`;

/** Something the run started: stopped in the end-of-run hook, or killed on process exit if the run dies first. */
export interface RunResource {
  /** The orderly stop, at the end of the run; removes it from the registry. */
  release?(): Promise<void>;
  /** At once and synchronously: after the orderly stops for what is left, and on process exit. */
  releaseNow(): void;
}

const endOfRunSteps: Array<() => Promise<void>> = [];
const live = new Set<RunResource>();
const exitDirs = new Set<string>();

/** Runs `step` once the run's suites are done (removing namespaced leftovers from the shared local servers). */
export function atEndOfRun(step: () => Promise<void>): void {
  endOfRunSteps.push(step);
}

export function track(resource: RunResource): void {
  live.add(resource);
}

export function untrack(resource: RunResource): void {
  live.delete(resource);
}

/** A directory removed after everything the run started is stopped. */
export function removeAtExit(dir: string): void {
  exitDirs.add(dir);
}

function cleanUpNow(): void {
  for (const resource of live) resource.releaseNow();
  live.clear();
  for (const dir of exitDirs) fs.rmSync(dir, { recursive: true, force: true });
  exitDirs.clear();
}

process.once("exit", cleanUpNow);

if (typeof after === "function") {
  after(async function cleanUpRun() {
    this.timeout(30_000);
    for (const step of endOfRunSteps) await step();
  });

  after(async function stopWhatTheRunStarted() {
    this.timeout(30_000);
    for (const resource of [...live]) await resource.release?.();
    cleanUpNow();
  });
}
