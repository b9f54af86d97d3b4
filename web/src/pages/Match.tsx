import { api, unwrap } from "../api/client";
import { Heatmap } from "../components/Heatmap";
import { ProbabilityBars } from "../components/ProbabilityBars";
import { Status } from "../components/Status";
import { formatDay, formatGoals, formatInstant, formatKickoff, formatPercent } from "../format";
import { useApi } from "../useApi";

/** One match: the three outcomes, the score grid, goal markets, and which model made the numbers. */
export function MatchPage(props: { id: number }) {
  const loaded = useApi(`prediction:${props.id}`, () =>
    unwrap(api.GET("/api/v1/predictions/{matchId}", { params: { path: { matchId: String(props.id) } } })),
  );
  return (
    <Status loaded={loaded} what="the match">
      {({ match, model, prediction, scoreGrid, inSample }) => (
        <section aria-labelledby="match-heading">
          <h1 id="match-heading">
            {match.homeTeam.name} v {match.awayTeam.name}
          </h1>
          <p class="meta">
            <time dateTime={match.kickoff ?? match.date}>{formatKickoff(match)}</time> · {match.league} {match.season}
            {match.matchday !== null && <> · match day {match.matchday}</>} ·{" "}
            <a href={`/team/${match.homeTeam.id}?league=${match.league}`}>{match.homeTeam.name}</a> ·{" "}
            <a href={`/team/${match.awayTeam.id}?league=${match.league}`}>{match.awayTeam.name}</a>
          </p>
          {match.score !== null && (
            <p class="result">
              Result: {match.score.home}–{match.score.away}
              {inSample && " (the current model was fitted on this result, so the numbers below are hindsight)"}
            </p>
          )}
          <ProbabilityBars
            homeWin={prediction.homeWin}
            draw={prediction.draw}
            awayWin={prediction.awayWin}
            home={match.homeTeam.name}
            away={match.awayTeam.name}
          />
          <dl class="markets">
            <div>
              <dt>Expected goals</dt>
              <dd>
                {formatGoals(prediction.expectedGoals.home)}–{formatGoals(prediction.expectedGoals.away)}
              </dd>
            </div>
            <div>
              <dt>Over 2.5 goals</dt>
              <dd data-market="over25">{formatPercent(prediction.over25)}</dd>
            </div>
            <div>
              <dt>Under 2.5 goals</dt>
              <dd data-market="under25">{formatPercent(prediction.under25)}</dd>
            </div>
            <div>
              <dt>Both teams score</dt>
              <dd data-market="btts">{formatPercent(prediction.bothTeamsToScore)}</dd>
            </div>
          </dl>
          <h2>Score probabilities</h2>
          <div class="scroll">
            <Heatmap grid={scoreGrid} home={match.homeTeam.name} away={match.awayTeam.name} />
          </div>
          <p class="model-note">
            Model {model.name}, version {model.version}, fitted {formatInstant(model.fittedAt)} on results from{" "}
            {formatDay(model.dataFrom)} to {formatDay(model.dataTo)}.
          </p>
        </section>
      )}
    </Status>
  );
}
