import assert from "node:assert/strict";
import { Counter, Histogram, Registry } from "prom-client";
import { HotCounter, HotHistogram } from "../../service/src/hotMetrics";

const LABELS = ["method", "route", "status"] as const;
const BUCKETS = [0.001, 0.01, 0.1, 1];

/** The same observations through prom-client's own histogram and through HotHistogram, as the registry writes them. */
async function bothHistograms(observations: [number, string, string, string][]): Promise<[string, string]> {
  const reference = new Registry();
  const hot = new Registry();
  const config = { name: "request_seconds", help: "Request time", labelNames: LABELS, buckets: BUCKETS };
  const histogram = new Histogram({ ...config, registers: [reference] });
  const hotHistogram = new HotHistogram({ ...config, registers: [hot] });
  for (const [value, method, route, status] of observations) {
    histogram.observe({ method, route, status }, value);
    hotHistogram.observe(value, method, route, status);
  }
  return [await reference.metrics(), await hot.metrics()];
}

describe("hot metrics", () => {
  it("a hot histogram reads exactly as prom-client's histogram of the same observations", async () => {
    const [reference, hot] = await bothHistograms([
      [0.0005, "GET", "/a", "200"],
      [0.001, "GET", "/a", "200"],
      [0.05, "GET", "/a", "200"],
      [7, "GET", "/a", "200"],
      [0.2, "POST", "/a", "201"],
      [0.01, "GET", "/b", "404"],
    ]);
    assert.equal(hot, reference);
    assert.match(hot, /request_seconds_bucket\{le="0.001",method="GET",route="\/a",status="200"\} 2/);
    assert.match(hot, /request_seconds_bucket\{le="\+Inf",method="GET",route="\/a",status="200"\} 4/);
    assert.match(hot, /request_seconds_sum\{method="GET",route="\/a",status="200"\} 7.0515/);
  });

  it("keeps apart label values that would run together in one key", async () => {
    const registry = new Registry();
    const counter = new HotCounter({ name: "pairs_total", help: "Pairs", labelNames: ["a", "b"] as const, registers: [registry] });
    counter.inc("x", "yz");
    counter.inc("xy", "z");
    counter.inc("xy", "z");
    const text = await registry.metrics();
    assert.match(text, /pairs_total\{a="x",b="yz"\} 1/);
    assert.match(text, /pairs_total\{a="xy",b="z"\} 2/);
  });

  it("a read sees every count made before it, and counts each once across reads", async () => {
    const registry = new Registry();
    const counter = new HotCounter({ name: "hits_total", help: "Hits", labelNames: ["cache"] as const, registers: [registry] });
    const read = async () => Number(/^hits_total\{cache="reads"\} (\d+)$/m.exec(await registry.metrics())?.[1]);
    counter.inc("reads");
    counter.inc("reads");
    assert.equal(await read(), 2);
    assert.equal(await read(), 2);
    counter.inc("reads");
    assert.equal(await read(), 3);
    assert.equal((await registry.getSingleMetric("hits_total")?.get())?.values[0]?.value, 3);
  });

  it("a reset registry forgets the hot histogram's series and counts afresh", async () => {
    const registry = new Registry();
    const histogram = new HotHistogram({ name: "t_seconds", help: "T", labelNames: ["route"] as const, buckets: [1], registers: [registry] });
    histogram.observe(0.5, "/a");
    registry.resetMetrics();
    assert.doesNotMatch(await registry.metrics(), /route="\/a"/);
    histogram.observe(2, "/b");
    assert.match(await registry.metrics(), /t_seconds_bucket\{le="1",route="\/b"\} 0\nt_seconds_bucket\{le="\+Inf",route="\/b"\} 1/);
  });

  it("a reset registry forgets a hot counter's counts, those not read yet included", async () => {
    const registry = new Registry();
    const counter = new HotCounter({ name: "hits_total", help: "Hits", labelNames: ["cache"] as const, registers: [registry] });
    counter.inc("reads");
    assert.match(await registry.metrics(), /^hits_total\{cache="reads"\} 1$/m);
    counter.inc("reads");
    registry.resetMetrics();
    assert.doesNotMatch(await registry.metrics(), /cache="reads"/);
    counter.inc("writes");
    const text = await registry.metrics();
    assert.match(text, /^hits_total\{cache="writes"\} 1$/m);
    assert.doesNotMatch(text, /cache="reads"/);
  });

  it("refuses what prom-client refuses of a histogram: a reserved label, a bad name", () => {
    const config = { help: "T", buckets: [1], registers: [new Registry()] };
    assert.throws(() => new HotHistogram({ ...config, name: "t_seconds", labelNames: ["le"] as const }), /le is a reserved label/);
    assert.throws(() => new HotHistogram({ ...config, name: "t-seconds", labelNames: ["route"] as const }), /Invalid metric name/);
  });

  it("cannot be registered twice under one name, as prom-client's metrics cannot", () => {
    const registry = new Registry();
    new Counter({ name: "t_seconds", help: "T", registers: [registry] });
    assert.throws(
      () => new HotHistogram({ name: "t_seconds", help: "T", labelNames: ["route"] as const, buckets: [1], registers: [registry] }),
      /already been registered/,
    );
  });
});
