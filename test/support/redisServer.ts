/** A Redis server of the run's own, for the fault drills: on 127.0.0.1 only, on a free port, killed after the run. */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import { type RunResource, track, untrack } from "./cleanup";
import { freePort, sleep } from "./net";
import { which } from "./processes";

/** A redis-server of the test's own, without persistence, that can be killed and started again on its port. */
export class RedisServer implements RunResource {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  /** `port`: a free one unless given. */
  static async start(port?: number): Promise<RedisServer> {
    if (which("redis-server") === undefined) {
      throw new Error("redis-server is not on PATH: the fault drills run their own (Debian/Ubuntu: apt-get install redis-server)");
    }
    const server = new RedisServer(port ?? (await freePort()));
    track(server);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async start(): Promise<void> {
    const child = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"],
      { stdio: "ignore" },
    );
    this.child = child;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode} on port ${this.port}`);
      if (await answersPing(this.port)) return;
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${this.port}`);
      await sleep(20);
    }
  }

  /** SIGKILL: no shutdown, connections drop, everything in memory is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
  }

  async destroy(): Promise<void> {
    await this.kill();
    untrack(this);
  }

  killNow(): void {
    this.child?.kill("SIGKILL");
  }

  release(): Promise<void> {
    return this.destroy();
  }

  releaseNow(): void {
    this.killNow();
  }
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let reply = "";
    socket.setTimeout(500, () => socket.destroy());
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString();
      if (reply.includes("\r\n")) socket.end();
    });
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(reply.startsWith("+PONG")));
  });
}
