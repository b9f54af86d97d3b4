/** Reading Prometheus text format (a /metrics page, a Pushgateway body). */

/** The value of one series in Prometheus text format (0 when absent). */
export function metricValue(metrics: string, series: string): number {
  const line = metrics.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** Gauge values of a Prometheus text-format body. */
export function parseGauges(body: string): Record<string, number> {
  return Object.fromEntries(
    body
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("#"))
      .map((line) => {
        const [name, value] = line.split(" ");
        return [name, Number(value)];
      }),
  );
}
