import type { Config } from "../config";
import type { Logger } from "../logger";
import type { Metrics } from "../metrics";
import type { Database } from "../storage/db";
import { listLeagueCodes } from "../storage/repositories/leagues";
import {
  type RefitRequest,
  completeRefitRequests,
  lastPendingRefitRequestId,
  pendingRefitRequests,
} from "../storage/repositories/refitRequests";
import { fitLeague } from "./modelFitter";
import type { ModelRegistry } from "./modelRegistry";
import type { PredictionPrecompute } from "./precompute";
import type { SignalBus } from "./signals";

/** A steady stream of results must not postpone a refit forever: it happens at most this many debounces late. */
const MAX_DEBOUNCE_FACTOR = 10;

export interface RefitSchedulerOptions {
  debounceMs: number;
  intervalMs: number;
  pollIntervalMs: number;
}

export interface RefitSchedulerDeps {
  db: Database;
  registry: ModelRegistry;
  signals: SignalBus;
  metrics: Metrics;
  logger: Logger;
  /** Stores and warms the new model's fixture predictions before the version is announced. */
  precompute: PredictionPrecompute;
}

/**
 * The worker loop. Refit requests live in PostgreSQL (written in the same transaction as the result or the
 * operator's request), so none is lost while the worker is down. A signal or the poll reads the pending
 * requests and plans one fit per league: result requests wait for the debounce, manual ones run at once.
 * Every league is also refitted on the interval, and any league without a model is fitted at start. Fits
 * run one at a time. A new model's forecasts for the league's fixtures are stored before `model-updated` goes
 * out, so API processes that load it find them.
 */
export class RefitScheduler {
  private readonly planned = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly queue = new Map<string, "if-requested" | "always">();
  private readonly timers: NodeJS.Timeout[] = [];
  private draining: Promise<void> | undefined;
  private planning: Promise<void> | undefined;
  private planAgain = false;
  private stopped = false;

  constructor(
    private readonly deps: RefitSchedulerDeps,
    private readonly options: RefitSchedulerOptions,
  ) {}

  async start(): Promise<void> {
    this.deps.signals.subscribe("refit-requested", () => this.poke());
    this.timers.push(setInterval(() => this.poke(), this.options.pollIntervalMs));
    this.timers.push(setInterval(() => void this.refitAll(), this.options.intervalMs));
    await this.fitLeaguesWithoutModel();
    this.poke();
  }

  /** Re-reads pending requests and re-plans; calls during a planning pass fold into one more pass. */
  poke(): void {
    if (this.stopped) return;
    if (this.planning !== undefined) {
      this.planAgain = true;
      return;
    }
    this.planning = this.planFromPendingRequests()
      .catch((error: Error) => this.deps.logger.warn({ err: error.message }, "could not read refit requests"))
      .finally(() => {
        this.planning = undefined;
        if (this.planAgain) {
          this.planAgain = false;
          this.poke();
        }
      });
  }

  /** Resolves once no fit is queued or running; for orderly shutdown and tests. */
  async idle(): Promise<void> {
    while (this.planning !== undefined || this.draining !== undefined) {
      await this.planning;
      await this.draining;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const { timer } of this.planned.values()) clearTimeout(timer);
    this.planned.clear();
    this.queue.clear();
    await this.idle();
  }

  private async fitLeaguesWithoutModel(): Promise<void> {
    try {
      await this.deps.registry.refresh(this.deps.db);
      for (const league of await listLeagueCodes(this.deps.db)) {
        if (this.deps.registry.get(league) === undefined) this.enqueue(league, "always");
      }
    } catch (error) {
      this.deps.logger.warn({ err: (error as Error).message }, "could not check for unfitted leagues; will retry");
      this.timers.push(setTimeout(() => void this.fitLeaguesWithoutModel(), this.options.pollIntervalMs));
    }
  }

  private async refitAll(): Promise<void> {
    try {
      for (const league of await listLeagueCodes(this.deps.db)) this.enqueue(league, "always");
    } catch (error) {
      this.deps.logger.warn({ err: (error as Error).message }, "scheduled refit skipped: database unavailable");
    }
  }

  private async planFromPendingRequests(): Promise<void> {
    const byLeague = new Map<string, RefitRequest[]>();
    for (const request of await pendingRefitRequests(this.deps.db)) {
      byLeague.set(request.league, [...(byLeague.get(request.league) ?? []), request]);
    }
    for (const [league, requests] of byLeague) this.planFit(league, this.fitTime(requests));
  }

  private fitTime(requests: readonly RefitRequest[]): number {
    const times = requests.map((request) => request.requestedAt.getTime());
    if (requests.some((request) => request.reason === "manual")) return Math.min(...times);
    const afterQuiet = Math.max(...times) + this.options.debounceMs;
    const latest = Math.min(...times) + this.options.debounceMs * MAX_DEBOUNCE_FACTOR;
    return Math.min(afterQuiet, latest);
  }

  private planFit(league: string, at: number): void {
    if (this.stopped || this.planned.get(league)?.at === at) return;
    clearTimeout(this.planned.get(league)?.timer);
    const timer = setTimeout(
      () => {
        this.planned.delete(league);
        this.enqueue(league, "if-requested");
      },
      Math.max(0, at - Date.now()),
    );
    this.planned.set(league, { at, timer });
  }

  private enqueue(league: string, mode: "if-requested" | "always"): void {
    if (this.stopped) return;
    if (this.queue.get(league) !== "always") this.queue.set(league, mode);
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.entries().next(); !next.done; next = this.queue.entries().next()) {
      const [league, mode] = next.value;
      this.queue.delete(league);
      await this.refit(league, mode).catch((error: Error) =>
        this.deps.logger.error({ league, err: error }, "refit failed; pending requests stay queued"),
      );
      // Fits are CPU-bound: let queued requests run between leagues.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async refit(league: string, mode: "if-requested" | "always"): Promise<void> {
    const { db, registry, signals, metrics, logger, precompute } = this.deps;
    const throughId = await lastPendingRefitRequestId(db, league);
    if (mode === "if-requested" && throughId === undefined) return;
    const model = await fitLeague(db, league, registry.get(league), { metrics, logger });
    if (model !== undefined) registry.install(model);
    if (throughId !== undefined) await completeRefitRequests(db, league, throughId, model?.version ?? null);
    if (model === undefined) return;
    await precompute.refresh(league, "refit");
    await signals.publish("model-updated", league);
  }
}

/** The scheduler as configured by MODEL_REFIT_DEBOUNCE_SECONDS, MODEL_REFIT_INTERVAL_MINUTES and the poll interval. */
export function configuredRefitScheduler(config: Config, deps: RefitSchedulerDeps): RefitScheduler {
  return new RefitScheduler(deps, {
    debounceMs: config.model.refitDebounceMs,
    intervalMs: config.model.refitIntervalMs,
    pollIntervalMs: config.model.pollIntervalMs,
  });
}
