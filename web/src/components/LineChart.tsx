export interface Series {
  name: string;
  /** A CSS class giving the stroke colour (no inline styles under the CSP). */
  className: string;
  points: Array<{ x: number; y: number; label: string }>;
}

const WIDTH = 640;
const HEIGHT = 280;
const PAD = { left: 48, right: 16, top: 16, bottom: 36 };

function extent(values: number[], fixed?: [number, number]): [number, number] {
  if (fixed !== undefined) return fixed;
  const low = Math.min(...values);
  const high = Math.max(...values);
  const pad = high === low ? 0.5 : (high - low) * 0.1;
  return [low - pad, high + pad];
}

/**
 * A small SVG line chart: one polyline and its points per series, axes with a few ticks, a legend. The chart has
 * a text alternative (its title and description); the same numbers are in a table beside it on every page.
 */
export function LineChart(props: {
  title: string;
  description: string;
  series: Series[];
  xDomain?: [number, number];
  yDomain?: [number, number];
  xTicks: Array<{ x: number; label: string }>;
  yFormat: (y: number) => string;
  diagonal?: boolean;
}) {
  const all = props.series.flatMap((series) => series.points);
  const [x0, x1] = extent(all.map((p) => p.x), props.xDomain);
  const [y0, y1] = extent(all.map((p) => p.y), props.yDomain);
  const x = (value: number) => PAD.left + ((value - x0) / (x1 - x0 || 1)) * (WIDTH - PAD.left - PAD.right);
  const y = (value: number) => HEIGHT - PAD.bottom - ((value - y0) / (y1 - y0 || 1)) * (HEIGHT - PAD.top - PAD.bottom);
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((t) => y0 + t * (y1 - y0));
  const id = props.title.replace(/\W+/g, "-").toLowerCase();
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${id}-title ${id}-desc`} data-chart={id}>
        <title id={`${id}-title`}>{props.title}</title>
        <desc id={`${id}-desc`}>{props.description}</desc>
        <g class="axis">
          {yTicks.map((tick) => (
            <g key={tick}>
              <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} class="grid" />
              <text x={PAD.left - 6} y={y(tick) + 4} text-anchor="end">
                {props.yFormat(tick)}
              </text>
            </g>
          ))}
          {props.xTicks.map((tick) => (
            <text key={tick.x} x={x(tick.x)} y={HEIGHT - PAD.bottom + 18} text-anchor="middle">
              {tick.label}
            </text>
          ))}
        </g>
        {props.diagonal && <line x1={x(x0)} y1={y(y0)} x2={x(x1)} y2={y(y1)} class="diagonal" />}
        {props.series.map((series) => (
          <g key={series.name} class={`series ${series.className}`} data-series={series.name}>
            <polyline points={series.points.map((p) => `${x(p.x)},${y(p.y)}`).join(" ")} />
            {series.points.map((p) => (
              <circle key={p.label} cx={x(p.x)} cy={y(p.y)} r="4" data-point>
                <title>{p.label}</title>
              </circle>
            ))}
          </g>
        ))}
      </svg>
      <figcaption>
        <ul class="legend">
          {props.series.map((series) => (
            <li key={series.name} class={series.className}>
              <svg viewBox="0 0 20 4" aria-hidden="true">
                <line x1="0" y1="2" x2="20" y2="2" />
              </svg>
              {series.name}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
