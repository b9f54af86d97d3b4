import { EventEmitter } from "node:events";
import type { Logger } from "../logger";
import { type RedisClient, closeRedisClient } from "./redis";

/**
 * Announcements of bucket resets, for processes keeping copies of cached entries. `invalidated` names the
 * reset buckets; `missed` means announcements may have been lost, so every copy must go.
 */
export interface BucketInvalidations {
  /** True while every announcement is received; copies must not be served or made otherwise. */
  readonly live: boolean;
  on(event: "invalidated", listener: (buckets: string[]) => void): this;
  on(event: "missed", listener: () => void): this;
  /**
   * A reset this process is making itself, told to its own listeners at once: its announcement comes back from Redis
   * only a moment after the write returned, and a request in between must not be answered from a copy it removes.
   */
  announceLocally(buckets: readonly string[]): void;
  close(): Promise<void>;
}

/**
 * Listens on the channel RedisCache announces its resets on, over a subscriber connection of its own. Live
 * from the moment Redis confirms the subscription until the connection drops; each reconnection subscribes
 * again and is live only once confirmed, so nothing published in between can slip past.
 */
export class RedisInvalidations
  extends EventEmitter<{ invalidated: [string[]]; missed: [] }>
  implements BucketInvalidations
{
  private listening = false;
  /** Counts connections, so a confirmation arriving for an earlier connection is ignored. */
  private connection = 0;

  constructor(
    private readonly subscriber: RedisClient,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {
    super();
    subscriber.on("message", (from: string, message: string) => {
      if (from === channel) this.receive(message);
    });
    subscriber.on("ready", () => this.subscribe());
    subscriber.on("close", () => this.interrupt());
    if (subscriber.status === "ready") this.subscribe();
  }

  get live(): boolean {
    return this.listening;
  }

  private subscribe(): void {
    const connection = this.connection;
    this.subscriber.subscribe(this.channel).then(
      () => {
        if (connection === this.connection) this.listening = true;
      },
      (error: Error) => this.logger.debug({ err: error.message }, "cache invalidations not subscribed yet"),
    );
  }

  private interrupt(): void {
    this.connection += 1;
    this.listening = false;
    this.emit("missed");
  }

  private receive(message: string): void {
    let buckets: unknown;
    try {
      buckets = JSON.parse(message);
    } catch {
      buckets = undefined;
    }
    if (Array.isArray(buckets) && buckets.every((bucket) => typeof bucket === "string")) {
      this.emit("invalidated", buckets);
    } else {
      this.logger.warn("malformed cache invalidation: dropping every copy");
      this.emit("missed");
    }
  }

  announceLocally(buckets: readonly string[]): void {
    this.emit("invalidated", [...buckets]);
  }

  async close(): Promise<void> {
    this.interrupt();
    await closeRedisClient(this.subscriber);
  }
}
