import { probabilityOf, type Outcome, type OutcomeProbabilities } from "../domain/metrics";

export interface CalibrationBin {
  outcome: Outcome;
  /** The bin holds forecast probabilities in [lower, upper) (the last bin includes 1). */
  lower: number;
  upper: number;
  forecasts: number;
  meanPredicted: number;
  observedFrequency: number;
}

export const OUTCOMES: readonly Outcome[] = ["home", "draw", "away"];

/**
 * Groups each outcome's forecast probabilities into equal-width bins and compares the mean forecast in a
 * bin with how often that outcome happened. Empty bins are left out.
 */
export function calibrationBins(
  forecasts: readonly { forecast: OutcomeProbabilities; outcome: Outcome }[],
  binCount = 10,
): CalibrationBin[] {
  const bins: CalibrationBin[] = [];
  for (const outcome of OUTCOMES) {
    const count = new Array<number>(binCount).fill(0);
    const predicted = new Array<number>(binCount).fill(0);
    const observed = new Array<number>(binCount).fill(0);
    for (const { forecast, outcome: actual } of forecasts) {
      const p = probabilityOf(forecast, outcome);
      const bin = Math.min(binCount - 1, Math.floor(p * binCount));
      count[bin]++;
      predicted[bin] += p;
      if (actual === outcome) observed[bin]++;
    }
    for (let b = 0; b < binCount; b++) {
      if (count[b] === 0) continue;
      bins.push({
        outcome,
        lower: b / binCount,
        upper: (b + 1) / binCount,
        forecasts: count[b],
        meanPredicted: predicted[b] / count[b],
        observedFrequency: observed[b] / count[b],
      });
    }
  }
  return bins;
}

const SIZE = 560;
const MARGIN = 64;
const PLOT = SIZE - 2 * MARGIN;
const COLOURS: Record<Outcome, string> = { home: "#1f77b4", draw: "#6b6b6b", away: "#d62728" };
const LABELS: Record<Outcome, string> = { home: "home win", draw: "draw", away: "away win" };

/** A reliability diagram: observed frequency against mean forecast per bin, one line per outcome. */
export function calibrationSvg(bins: readonly CalibrationBin[], title: string): string {
  const x = (p: number): number => round(MARGIN + p * PLOT);
  const y = (p: number): number => round(MARGIN + (1 - p) * PLOT);
  const largest = Math.max(1, ...bins.map((bin) => bin.forecasts));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}" viewBox="0 0 ${SIZE} ${SIZE}" font-family="sans-serif" font-size="12">`,
    `<rect width="${SIZE}" height="${SIZE}" fill="white"/>`,
    `<text x="${SIZE / 2}" y="${MARGIN / 2}" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
  ];
  for (let tick = 0; tick <= 10; tick++) {
    const p = tick / 10;
    parts.push(
      `<line x1="${x(p)}" y1="${y(0)}" x2="${x(p)}" y2="${y(1)}" stroke="#e5e5e5"/>`,
      `<line x1="${x(0)}" y1="${y(p)}" x2="${x(1)}" y2="${y(p)}" stroke="#e5e5e5"/>`,
      `<text x="${x(p)}" y="${y(0) + 16}" text-anchor="middle">${p.toFixed(1)}</text>`,
      `<text x="${x(0) - 8}" y="${y(p) + 4}" text-anchor="end">${p.toFixed(1)}</text>`,
    );
  }
  parts.push(
    `<rect x="${x(0)}" y="${y(1)}" width="${PLOT}" height="${PLOT}" fill="none" stroke="#333"/>`,
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#999" stroke-dasharray="6 4"/>`,
    `<text x="${SIZE / 2}" y="${SIZE - 20}" text-anchor="middle">forecast probability (bin mean)</text>`,
    `<text transform="translate(18 ${SIZE / 2}) rotate(-90)" text-anchor="middle">observed frequency</text>`,
  );
  OUTCOMES.forEach((outcome, i) => {
    const own = bins.filter((bin) => bin.outcome === outcome);
    const points = own.map((bin) => `${x(bin.meanPredicted)},${y(bin.observedFrequency)}`).join(" ");
    parts.push(`<polyline points="${points}" fill="none" stroke="${COLOURS[outcome]}" stroke-width="1.5"/>`);
    for (const bin of own) {
      // Area proportional to the number of forecasts, so sparse bins read as less certain.
      const radius = round(2 + 6 * Math.sqrt(bin.forecasts / largest));
      parts.push(
        `<circle cx="${x(bin.meanPredicted)}" cy="${y(bin.observedFrequency)}" r="${radius}" fill="${COLOURS[outcome]}" fill-opacity="0.7">` +
          `<title>${LABELS[outcome]} ${bin.lower.toFixed(1)}-${bin.upper.toFixed(1)}: ${bin.forecasts} forecasts, ` +
          `mean ${bin.meanPredicted.toFixed(3)}, observed ${bin.observedFrequency.toFixed(3)}</title></circle>`,
      );
    }
    const legendY = MARGIN + 16 + i * 18;
    parts.push(
      `<circle cx="${MARGIN + 14}" cy="${legendY - 4}" r="5" fill="${COLOURS[outcome]}"/>`,
      `<text x="${MARGIN + 24}" y="${legendY}">${LABELS[outcome]}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
