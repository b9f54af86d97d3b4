/** Ports, waiting and plain sockets on the loopback interface, for the tests and bench/. */
import { once } from "node:events";
import type { IncomingMessage, Server } from "node:http";
import net from "node:net";

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port nothing listens on right now, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `server` on a free port of 127.0.0.1; resolves with its base URL. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

/** A request body, whole. */
export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(stepMs);
  }
}

/**
 * A TCP forwarder a test can cut and restore, to play a dependency going down and coming back; re-point, as a
 * Kubernetes Service does when its endpoints change to another pod; or freeze, as a network partition that
 * holds every byte without closing anything.
 */
export class Interruptible {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly links = new Set<{ client: net.Socket; upstream: net.Socket | undefined }>();
  private frozen = false;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private targetPort: number,
  ) {}

  async open(): Promise<void> {
    const server = net.createServer((client) => {
      const link: { client: net.Socket; upstream: net.Socket | undefined } = { client, upstream: undefined };
      this.links.add(link);
      this.watch(client, () => this.links.delete(link));
      // Frozen, a new connection is accepted and goes nowhere, like a SYN into a partition.
      if (this.frozen) {
        client.pause();
        return;
      }
      const upstream = net.connect(this.targetPort, this.targetHost);
      link.upstream = upstream;
      this.watch(upstream, () => undefined);
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  private watch(socket: net.Socket, onClose: () => void): void {
    this.sockets.add(socket);
    socket.on("close", () => {
      this.sockets.delete(socket);
      onClose();
    });
    socket.on("error", () => socket.destroy());
  }

  /** New connections go to `port` from now on; open ones stay where they are, as with a Service. */
  pointAt(port: number): void {
    this.targetPort = port;
  }

  /** Stops carrying bytes either way on every connection, open or new, without closing any; `cut` ends it. */
  freeze(): void {
    this.frozen = true;
    for (const { client, upstream } of this.links) {
      client.unpipe();
      upstream?.unpipe();
      client.pause();
      upstream?.pause();
    }
  }

  /** Closes the listener and every forwarded connection: the dependency looks stopped. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.frozen = false;
    for (const socket of this.sockets) socket.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
