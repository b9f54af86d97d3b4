import { EventEmitter } from "node:events";
import type { BucketInvalidations } from "../../service/src/cache/invalidations";

/** An invalidation feed a test drives by hand: `live` to set, `emit("invalidated", buckets)` or `emit("missed")`. */
export class ManualInvalidations extends EventEmitter<{ invalidated: [string[]]; missed: [] }> implements BucketInvalidations {
  live = true;
  announceLocally(buckets: readonly string[]): void {
    this.emit("invalidated", [...buckets]);
  }
  async close(): Promise<void> {}
}
