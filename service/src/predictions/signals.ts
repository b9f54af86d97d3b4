import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { type RedisClient, closeRedisClient } from "../cache/redis";
import type { Logger } from "../logger";

/**
 * `refit-requested`: results changed or an operator asked for a refit (payload: league); the worker reads the
 * durable refit_requests table. `model-updated`: a new model version is stored (payload: league); API
 * processes load it. `fixtures-changed`: an import or a client added or re-dated fixtures (payload: league); the
 * worker stores their predictions. All are nudges only: each consumer also polls, so a lost message only delays
 * things.
 */
export type SignalChannel = "refit-requested" | "model-updated" | "fixtures-changed";

export interface SignalBus {
  /** Never throws: a signal that cannot be sent is picked up by the next poll. */
  publish(channel: SignalChannel, payload: string): Promise<void>;
  subscribe(channel: SignalChannel, handler: (payload: string) => void): void;
  close(): Promise<void>;
}

/** One process: API and worker share this emitter. */
export class LocalSignalBus implements SignalBus {
  private readonly emitter = new EventEmitter();

  async publish(channel: SignalChannel, payload: string): Promise<void> {
    this.emitter.emit(channel, payload);
  }

  subscribe(channel: SignalChannel, handler: (payload: string) => void): void {
    this.emitter.on(channel, handler);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

/**
 * Redis pub/sub between processes, plus immediate delivery inside the sending process (which ignores its
 * own messages coming back from Redis, and still hears itself while Redis is down).
 */
export class RedisSignalBus implements SignalBus {
  private readonly local = new LocalSignalBus();
  private readonly sender = randomUUID();

  constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {
    subscriber.on("message", (channel: string, message: string) => this.receive(channel, message));
  }

  private channelName(channel: SignalChannel): string {
    return `${this.prefix}signal:${channel}`;
  }

  private receive(channelName: string, message: string): void {
    const channel = channelName.slice(`${this.prefix}signal:`.length) as SignalChannel;
    try {
      const { from, payload } = JSON.parse(message) as { from: string; payload: string };
      if (from !== this.sender) void this.local.publish(channel, payload);
    } catch {
      this.logger.warn({ channel: channelName }, "ignored a malformed signal");
    }
  }

  async publish(channel: SignalChannel, payload: string): Promise<void> {
    await this.local.publish(channel, payload);
    try {
      await this.publisher.publish(this.channelName(channel), JSON.stringify({ from: this.sender, payload }));
    } catch (error) {
      this.logger.debug({ channel, err: (error as Error).message }, "signal not sent; consumers will poll");
    }
  }

  subscribe(channel: SignalChannel, handler: (payload: string) => void): void {
    this.local.subscribe(channel, handler);
    this.subscriber.subscribe(this.channelName(channel)).catch((error: Error) => {
      this.logger.warn({ channel, err: error.message }, "subscription deferred until redis returns");
    });
  }

  async close(): Promise<void> {
    await this.local.close();
    await closeRedisClient(this.subscriber);
  }
}
