import { formatPercentFine } from "../format";

/** Goals 0..6 a side: the grid the issue asks for. Scores above 6 are rare enough to leave out. */
export const MAX_GOALS = 6;

/**
 * The score-probability grid as a table of shaded cells: a table, so screen readers announce home and away goals
 * for every cell, and the shading is an SVG rect (no inline styles under the CSP).
 */
export function Heatmap(props: { grid: number[][]; home: string; away: string }) {
  const largest = Math.max(...props.grid.flat());
  const goals = [...Array(MAX_GOALS + 1).keys()];
  return (
    <table class="heatmap" data-chart="score-grid">
      <caption>
        Probability of each score: {props.home} goals down, {props.away} goals across
      </caption>
      <thead>
        <tr>
          <th scope="col">
            <span class="visually-hidden">{props.home} goals</span>
          </th>
          {goals.map((away) => (
            <th scope="col" key={away}>
              {away}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {goals.map((home) => (
          <tr key={home}>
            <th scope="row">{home}</th>
            {goals.map((away) => {
              const p = props.grid[home][away];
              const level = largest > 0 ? p / largest : 0;
              return (
                <td key={away} data-cell={`${home}-${away}`} class={level > 0.55 ? "dark" : undefined}>
                  <svg viewBox="0 0 1 1" preserveAspectRatio="none" aria-hidden="true">
                    <rect width="1" height="1" fill-opacity={Math.max(0.04, level).toFixed(3)} />
                  </svg>
                  <span>{formatPercentFine(p)}</span>
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
