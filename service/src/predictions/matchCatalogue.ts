import type { BucketInvalidations } from "../cache/invalidations";
import type { Clock } from "../importer/types";
import type { Logger } from "../logger";
import type { Metrics } from "../metrics";
import type { Database } from "../storage/db";
import { type Match, listAllMatches } from "../storage/repositories/matches";

export interface MatchCatalogueOptions {
  /** A reset of any of these buckets means matches may have changed: every match write resets one of them. */
  buckets: readonly string[];
  /**
   * Age at which a copy is loaded again. Announcements keep it current; this bounds the damage of a write that
   * announces nothing (one made outside the service's commands: by hand, or a restored backup) or of an
   * announcement lost without the connection dropping. The old copy answers while the new one loads, up to twice
   * this age.
   */
  maxAgeMs: number;
  /** The system's clock unless a test sets one. */
  clock?: Clock;
}

const RETRY_AFTER_FAILURE_MS = 1_000;

interface Copy {
  matches: Map<number, Match>;
  loadedAt: number;
}

/**
 * Every stored match in process memory, so an uncached prediction needs no database read. It follows the same
 * rules as NearCache's copies, and for the same reason: it is only loaded and served while the invalidation feed is
 * live; a reset of any of `buckets` that any process announces drops it (a new copy is loaded in the background),
 * this process's own resets at once (NearCache announces them locally: a write commits before its reset, so what
 * loads after the drop already holds it);
 * losing the feed drops it; and a load that overlapped a drop is discarded. In the meantime, and for a match the
 * copy does not hold (one created since), `get` answers undefined and the caller reads the database.
 */
export class MatchCatalogue {
  private copy: Copy | undefined;
  private loading: Promise<void> | undefined;
  /** Advances with every drop; a load that started before one must not become the copy. */
  private drops = 0;
  private closed = false;
  /** After a failed load, no other starts before this instant. */
  private retryAt = 0;
  /** Milliseconds since the epoch, by the options' clock. */
  private readonly now: () => number;

  constructor(
    private readonly db: Database,
    private readonly invalidations: BucketInvalidations,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly options: MatchCatalogueOptions,
  ) {
    invalidations.on("invalidated", (buckets) => {
      if (buckets.some((bucket) => options.buckets.includes(bucket))) this.drop("reset");
    });
    invalidations.on("missed", () => this.drop("feed-lost"));
    const { clock } = options;
    this.now = clock === undefined ? Date.now : () => clock().getTime();
  }

  /**
   * The match as stored, if the copy is current and holds it; otherwise undefined (and a new copy is on its way).
   * A copy past maxAgeMs that no reset dropped still answers while its successor loads: every request for a match
   * would otherwise read the database at once, every maxAgeMs.
   */
  get(id: number): Match | undefined {
    const { copy } = this;
    const age = copy === undefined ? Number.POSITIVE_INFINITY : this.now() - copy.loadedAt;
    if (age >= this.options.maxAgeMs) this.reload();
    return copy !== undefined && this.invalidations.live && age < 2 * this.options.maxAgeMs
      ? copy.matches.get(id)
      : undefined;
  }

  /** Loads the first copy; requests arriving before it is in read the database. */
  start(): void {
    this.reload();
  }

  /** Waits until no load is under way, the ones a drop started meanwhile included (for tests and shutdown). */
  async settled(): Promise<void> {
    while (this.loading !== undefined) await this.loading;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.replace(undefined);
    await this.settled();
  }

  private drop(reason: "reset" | "feed-lost"): void {
    this.drops += 1;
    if (this.copy !== undefined) this.metrics.catalogueDrops.inc({ reason });
    this.replace(undefined);
    this.reload();
  }

  private replace(copy: Copy | undefined): void {
    this.copy = copy;
    this.metrics.catalogueMatches.set(copy?.matches.size ?? 0);
  }

  /**
   * One load at a time. A drop during a load makes it load again once done; a failed load is retried a second later
   * at the earliest (requests read the database meanwhile), so an outage does not turn into a stream of loads.
   */
  private reload(): void {
    if (this.loading !== undefined || this.closed || !this.invalidations.live || this.now() < this.retryAt) return;
    const drops = this.drops;
    this.loading = this.load(drops).finally(() => {
      this.loading = undefined;
      if (drops !== this.drops) this.reload();
    });
  }

  private async load(drops: number): Promise<void> {
    const loadedAt = this.now();
    try {
      const matches = await listAllMatches(this.db);
      if (drops === this.drops && this.invalidations.live && !this.closed) {
        this.replace({ matches: new Map(matches.map((match) => [match.id, match])), loadedAt });
        this.metrics.catalogueLoads.inc({ outcome: "loaded" });
      } else {
        this.metrics.catalogueLoads.inc({ outcome: "discarded" });
      }
    } catch (error) {
      // The database's outage is reported elsewhere (readiness, 503s); requests read it directly until it is back.
      this.logger.debug({ err: (error as Error).message }, "match catalogue not loaded");
      this.metrics.catalogueLoads.inc({ outcome: "failed" });
      this.retryAt = this.now() + RETRY_AFTER_FAILURE_MS;
    }
  }
}
