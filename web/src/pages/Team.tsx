import { api, unwrap } from "../api/client";
import { LineChart } from "../components/LineChart";
import { Status } from "../components/Status";
import { formatDay, formatGoals } from "../format";
import { useApi } from "../useApi";

const RECENT_MATCHES = 20;

/** One team: its latest matches and results, and its attack and defence in each stored model version. */
export function TeamPage(props: { id: number; league: string | undefined }) {
  const id = String(props.id);
  const strength = useApi(`strength:${id}:${props.league ?? ""}`, () =>
    unwrap(api.GET("/api/v1/teams/{id}/strength", { params: { path: { id }, query: { league: props.league } } })),
  );
  const team = useApi(`team:${id}`, () => unwrap(api.GET("/api/v1/teams/{id}", { params: { path: { id } } })));
  const matches = useApi(`team-matches:${id}`, async () => {
    const answer = await unwrap(api.GET("/api/v1/teams/{id}", { params: { path: { id } } }));
    return unwrap(
      api.GET("/api/v1/matches", {
        params: { query: { team: answer.name, order: "desc", limit: String(RECENT_MATCHES) } },
      }),
    );
  });
  return (
    <section aria-labelledby="team-heading">
      <h1 id="team-heading">{team.state === "ready" ? team.data.name : "Team"}</h1>
      <h2>Strength over time</h2>
      <Status loaded={strength} what="the team's strength">
        {(answer) =>
          answer.data.map((series) => {
            const points = series.points;
            if (points.length === 0) return <p key={series.league}>No {series.league} model rates this team yet.</p>;
            const at = (value: (p: (typeof points)[number]) => number) =>
              points.map((p, i) => ({ x: i, y: value(p), label: `${formatDay(p.dataTo)}: ${formatGoals(value(p))}` }));
            return (
              <div key={series.league}>
                <LineChart
                  title={`${answer.team.name} strength in ${series.league}`}
                  description={`Attack and defence ratings (log scale; higher is stronger) in each of ${points.length} model versions, oldest first.`}
                  series={[
                    { name: "Attack", className: "s-attack", points: at((p) => p.attack) },
                    { name: "Defence", className: "s-defence", points: at((p) => p.defence) },
                  ]}
                  xDomain={points.length === 1 ? [-1, 1] : undefined}
                  xTicks={points.map((p, i) => ({ x: i, label: formatDay(p.dataTo) })).filter((_, i, all) => i % Math.ceil(all.length / 5) === 0)}
                  yFormat={formatGoals}
                />
                {points.length === 1 && <p class="model-note">One model version so far: every refit adds a point.</p>}
              </div>
            );
          })
        }
      </Status>
      <h2>Matches</h2>
      <Status loaded={matches} what="the team's matches">
        {(answer) => (
          <div class="scroll">
            <table class="matches">
              <caption class="visually-hidden">Latest matches, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Date</th>
                  <th scope="col">Home</th>
                  <th scope="col">Result</th>
                  <th scope="col">Away</th>
                </tr>
              </thead>
              <tbody>
                {answer.data.map((match) => (
                  <tr key={match.id}>
                    <td>{formatDay(match.date)}</td>
                    <td>{match.homeTeam.name}</td>
                    <td>
                      <a href={`/match/${match.id}`}>
                        {match.score === null ? match.status : `${match.score.home}–${match.score.away}`}
                      </a>
                    </td>
                    <td>{match.awayTeam.name}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Status>
    </section>
  );
}
