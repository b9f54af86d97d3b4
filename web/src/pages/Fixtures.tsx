import { type Fixture, api, unwrap } from "../api/client";
import { LeaguePicker } from "../components/LeaguePicker";
import { ProbabilityBars } from "../components/ProbabilityBars";
import { Status } from "../components/Status";
import { formatDay, formatGoals, formatKickoff, formatPercent } from "../format";
import { navigate } from "../router";
import { useApi } from "../useApi";
import { useEffect } from "preact/hooks";

function FixtureCard({ fixture }: { fixture: Fixture }) {
  const { match, prediction, model } = fixture;
  const likely = prediction?.likelyScores[0];
  return (
    <li class="fixture" data-match-id={match.id}>
      <h3>
        <a href={`/match/${match.id}`}>
          {match.homeTeam.name} <span class="versus">v</span> {match.awayTeam.name}
        </a>
      </h3>
      <p class="meta">
        <time dateTime={match.kickoff ?? match.date}>{formatKickoff(match)}</time> · {match.league}
        {match.score !== null && (
          <>
            {" "}
            · <strong class="result" data-result>{`Result ${match.score.home}–${match.score.away}`}</strong>
          </>
        )}
      </p>
      {prediction === null ? (
        <p class="no-model">
          {model === null && fixture.forecast
            ? "No prediction yet: the model for this league has not been fitted."
            : "No prediction was stored before kick-off."}
        </p>
      ) : (
        <>
          {!fixture.forecast && <p class="before">Forecast before kick-off:</p>}
          <ProbabilityBars
            homeWin={prediction.homeWin}
            draw={prediction.draw}
            awayWin={prediction.awayWin}
            home={match.homeTeam.name}
            away={match.awayTeam.name}
          />
          <p class="numbers">
            Expected goals <span data-xg="home">{formatGoals(prediction.expectedGoals.home)}</span>–
            <span data-xg="away">{formatGoals(prediction.expectedGoals.away)}</span>
            {likely && (
              <>
                {" "}
                · Most likely score{" "}
                <span data-likely-score>
                  {likely.homeGoals}–{likely.awayGoals}
                </span>{" "}
                ({formatPercent(likely.probability)})
              </>
            )}
          </p>
        </>
      )}
    </li>
  );
}

/** Two dates and a button: the fixtures of a chosen range instead of the next match day. */
function RangeForm(props: { league: string | undefined; from: string | undefined; to: string | undefined }) {
  const submit = (event: Event) => {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const params = new URLSearchParams();
    if (props.league !== undefined) params.set("league", props.league);
    for (const name of ["from", "to"]) {
      const value = String(data.get(name) ?? "");
      if (value !== "") params.set(name, value);
    }
    navigate(`/?${params.toString()}`);
  };
  const nextMatchDay = props.league === undefined ? "/" : `/?league=${props.league}`;
  return (
    <form class="range-form" onSubmit={submit} aria-label="Date range">
      <label>
        From <input type="date" name="from" defaultValue={props.from} required />
      </label>
      <label>
        To <input type="date" name="to" defaultValue={props.to} required />
      </label>
      <button type="submit">Show</button>
      {(props.from !== undefined || props.to !== undefined) && <a href={nextMatchDay}>Next match day</a>}
    </form>
  );
}

/** The landing page: the next match day (or a chosen range) with each match's forecast. */
export function FixturesPage(props: { league: string | undefined }) {
  const params = new URLSearchParams(location.search);
  const from = params.get("from") ?? undefined;
  const to = params.get("to") ?? undefined;
  const key = `fixtures:${props.league ?? ""}:${from ?? ""}:${to ?? ""}`;
  const fixtures = useApi(key, () =>
    unwrap(api.GET("/api/v1/fixtures", { params: { query: { league: props.league, from, to } } })),
  );
  useEffect(() => {
    if (fixtures.state === "ready") {
      // The bench's marker: the first fixtures are on screen (bench/ reads it through the Performance API).
      performance.mark("fixtures-painted");
      document.documentElement.dataset.fixturesPainted = "true";
    }
  }, [fixtures.state]);
  const choose = (league: string | undefined) => {
    const params = new URLSearchParams(location.search);
    if (league === undefined) params.delete("league");
    else params.set("league", league);
    navigate(`/${params.size > 0 ? `?${params.toString()}` : ""}`);
  };
  return (
    <section aria-labelledby="fixtures-heading">
      <div class="heading-row">
        <h1 id="fixtures-heading">Fixtures</h1>
        <LeaguePicker value={props.league} allowAll onChange={choose} />
      </div>
      <RangeForm key={key} league={props.league} from={from} to={to} />
      <Status loaded={fixtures} what="the fixtures">
        {(answer) => (
          <>
            <p class="range">
              {from === undefined && to === undefined ? "Next match day: " : "Matches from "}
              {formatDay(answer.range.from)}
              {answer.range.to !== answer.range.from && <> to {formatDay(answer.range.to)}</>}
            </p>
            {answer.data.length === 0 ? (
              <p class="status">No matches in this range.</p>
            ) : (
              <ol class="fixtures">
                {answer.data.map((fixture) => (
                  <FixtureCard key={fixture.match.id} fixture={fixture} />
                ))}
              </ol>
            )}
          </>
        )}
      </Status>
    </section>
  );
}
