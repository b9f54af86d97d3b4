import type { Logger } from "../logger";
import type { Database } from "../storage/db";
import type { ModelRegistry } from "./modelRegistry";
import type { SignalBus } from "./signals";

/** Until the first model arrives, readiness depends on it, so the registry looks more often. */
const POLL_WHILE_EMPTY_MS = 2_000;

/**
 * Keeps an API process's registry on the newest stored model versions without a restart: a `model-updated`
 * signal triggers a reload at once, and a poll catches anything a lost signal (Redis down) would miss.
 */
export class ModelPickup {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;

  constructor(
    private readonly db: Database,
    private readonly registry: ModelRegistry,
    private readonly signals: SignalBus,
    private readonly logger: Logger,
    private readonly pollIntervalMs: number,
  ) {}

  async start(): Promise<void> {
    this.signals.subscribe("model-updated", () => void this.refresh());
    await this.refresh();
    this.scheduleNextPoll();
  }

  /** Reloads newer versions; a call while a reload runs queues one more, so no signal is absorbed by a stale read. */
  refresh(): Promise<void> {
    if (this.refreshing !== undefined) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = this.loadNewerVersions().finally(() => {
      this.refreshing = undefined;
      if (this.refreshAgain) {
        this.refreshAgain = false;
        void this.refresh();
      }
    });
    return this.refreshing;
  }

  private async loadNewerVersions(): Promise<void> {
    try {
      for (const model of await this.registry.refresh(this.db)) {
        this.logger.info({ league: model.league, version: model.version }, "model version picked up");
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, "could not check for new model versions");
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.refreshing;
  }

  private scheduleNextPoll(): void {
    if (this.stopped) return;
    const delay = this.registry.size === 0 ? Math.min(POLL_WHILE_EMPTY_MS, this.pollIntervalMs) : this.pollIntervalMs;
    this.timer = setTimeout(() => {
      void this.refresh().finally(() => this.scheduleNextPoll());
    }, delay);
  }
}
