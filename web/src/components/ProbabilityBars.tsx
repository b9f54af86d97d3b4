import { formatPercent } from "../format";

/** Home, draw and away as three bars with their numbers; the widths are the probabilities. */
export function ProbabilityBars(props: { homeWin: number; draw: number; awayWin: number; home: string; away: string }) {
  const rows = [
    { key: "home", label: props.home, value: props.homeWin },
    { key: "draw", label: "Draw", value: props.draw },
    { key: "away", label: props.away, value: props.awayWin },
  ];
  return (
    <dl class="bars">
      {rows.map((row) => (
        <div class={`bar bar-${row.key}`} key={row.key} data-outcome={row.key} data-probability={row.value}>
          <dt>{row.label}</dt>
          <dd>
            <span class="bar-track" aria-hidden="true">
              <svg viewBox="0 0 100 1" preserveAspectRatio="none" class="bar-svg">
                <rect width={row.value * 100} height="1" />
              </svg>
            </span>
            <span class="bar-value">{formatPercent(row.value)}</span>
          </dd>
        </div>
      ))}
    </dl>
  );
}
