import { strict as assert } from "node:assert";
import { createHistogram } from "node:perf_hooks";
import { type LoadSample, figuresOf } from "../../bench/load";

/** The histogram keeps three significant digits. */
const assertAbout = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) <= expected / 1_000, `${actual} is not ${expected} to three digits`);

/** A run of `requests` answers, each taking `latencyMs`, with the server's CPU and pauses given in seconds. */
function sample(requests: number, latencyMs: number, seconds: number, cpu: number, gc?: number): LoadSample {
  const latencies = createHistogram();
  for (let index = 0; index < requests; index += 1) latencies.record(latencyMs * 1000);
  return {
    connections: 100,
    seconds,
    requests,
    latencies,
    responses: requests,
    responseBytes: requests * 500,
    errors: 1,
    timeouts: 0,
    non2xx: 2,
    serverCpuSeconds: cpu,
    ...(gc === undefined ? {} : { serverGcSeconds: gc }),
    generatorCpuSeconds: seconds / 2,
    elapsedSeconds: seconds,
    loadAverage: seconds,
  };
}

describe("bench: figures of alternating runs", () => {
  it("adds the runs of a server up as if they had been one run", () => {
    // 9,900 answers at 2 ms in 5 s, then 100 at 40 ms in 5 s: one run of 10 s with a p99 between the two.
    const figures = figuresOf([sample(9_900, 2, 5, 0.5, 0.01), sample(100, 40, 5, 0.5, 0.01)]);
    assert.equal(figures.requests, 10_000);
    assert.equal(figures.seconds, 10);
    assert.equal(figures.requestsPerSecond, 1_000);
    assert.equal(figures.serverCpuMicrosecondsPerRequest, 100);
    assert.equal(figures.serverGcMicrosecondsPerRequest, 2);
    assert.equal(figures.serverCores, 0.1);
    assert.equal(figures.generatorCores, 0.5);
    assert.equal(figures.responseBytes, 500);
    assert.equal(figures.errors, 2);
    assert.equal(figures.non2xx, 4);
    assertAbout(figures.latencyMs.p50, 2);
    assertAbout(figures.latencyMs.p99, 2);
    assertAbout(figures.latencyMs.max, 40);
    // The later run's load average: the figure is read as each run ends.
    assert.equal(figures.loadAverage, 5);
  });

  it("takes the tail from every run, not from the first", () => {
    const figures = figuresOf([sample(900, 2, 5, 0.5), sample(100, 40, 5, 0.5)]);
    assertAbout(figures.latencyMs.p50, 2);
    assertAbout(figures.latencyMs.p99, 40);
  });

  it("leaves the pauses out when a run could not read them", () => {
    const figures = figuresOf([sample(100, 2, 1, 0.1, 0.001), sample(100, 2, 1, 0.1)]);
    assert.equal(figures.serverGcMicrosecondsPerRequest, undefined);
    assert.equal(figures.serverCpuMicrosecondsPerRequest, 1_000);
  });
});
