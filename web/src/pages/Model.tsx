import { type LeagueRecord, api, unwrap } from "../api/client";
import { LeaguePicker } from "../components/LeaguePicker";
import { LineChart } from "../components/LineChart";
import { Status } from "../components/Status";
import { formatDay, formatInstant, formatPercent, formatScore } from "../format";
import { navigate } from "../router";
import { useApi } from "../useApi";

const OUTCOME_NAMES = { home: "Home win", draw: "Draw", away: "Away win" } as const;

function Record({ record }: { record: LeagueRecord }) {
  const seasons = record.seasons;
  const rpsSeries = [
    { name: "Model", className: "s-model", points: seasons.map((s, i) => ({ x: i, y: s.rps.model, label: `${s.season}: ${formatScore(s.rps.model)}` })) },
    { name: "Naive baseline", className: "s-baseline", points: seasons.map((s, i) => ({ x: i, y: s.rps.baseline, label: `${s.season}: ${formatScore(s.rps.baseline)}` })) },
  ];
  if (record.closingOdds) {
    // Only the seasons whose data has closing odds have a point; the line joins those.
    const priced = seasons.flatMap((s, i) => (s.rps.closingOdds === null ? [] : [{ x: i, y: s.rps.closingOdds, label: `${s.season}: ${formatScore(s.rps.closingOdds)}` }]));
    rpsSeries.push({ name: "Closing odds", className: "s-closing", points: priced });
  }
  const calibration = (["home", "draw", "away"] as const).map((outcome) => ({
    name: OUTCOME_NAMES[outcome],
    className: `s-${outcome}`,
    points: record.calibration
      .filter((bin) => bin.outcome === outcome)
      .map((bin) => ({
        x: bin.meanPredicted,
        y: bin.observedFrequency,
        label: `${OUTCOME_NAMES[outcome]}: forecast ${formatPercent(bin.meanPredicted)}, happened ${formatPercent(bin.observedFrequency)} of ${bin.forecasts}`,
      })),
  }));
  return (
    <>
      <h2>Record against the baselines</h2>
      <p>
        Walk-forward backtest of {record.model} (version {record.version}): each match predicted by a model refitted
        before its match day on earlier results only. Ranked probability score, lower is better.
        {record.closingOdds
          ? " Closing odds: the bookmakers' prices at kick-off (Pinnacle's, else the market average's) as probabilities, with their margin removed."
          : " The data has no bookmakers' closing odds, so there is no comparison with them."}
        {seasons.some((s) => s.closingOddsSource === "shipped")
          ? " Closing-odds figures marked † are the service's shipped benchmark, derived from football-data.co.uk's closing odds (no prices are shipped); unmarked ones are scored on closing odds stored with the matches."
          : ""}
      </p>
      <div class="scroll">
        <table class="record">
          <thead>
            <tr>
              <th scope="col">Season</th>
              <th scope="col">Matches</th>
              <th scope="col">Model RPS</th>
              <th scope="col">Naive RPS</th>
              <th scope="col">Closing odds RPS</th>
            </tr>
          </thead>
          <tbody>
            {seasons.map((s) => (
              <tr key={s.season}>
                <th scope="row">{s.season}</th>
                <td>{s.matches}</td>
                <td>{formatScore(s.rps.model)}</td>
                <td>{formatScore(s.rps.baseline)}</td>
                <td>
                  {s.rps.closingOdds === null ? "not in the data" : formatScore(s.rps.closingOdds)}
                  {s.closingOddsSource === "shipped" ? " †" : ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {seasons.length > 0 && (
        <LineChart
          title={`RPS per season in ${record.league}`}
          description={`The model's${record.closingOdds ? ", the closing odds'" : ""} and the naive baseline's ranked probability score per season; lower is better.`}
          series={rpsSeries}
          xDomain={seasons.length === 1 ? [-1, 1] : undefined}
          xTicks={seasons.map((s, i) => ({ x: i, label: s.season }))}
          yFormat={formatScore}
        />
      )}
      <h2>Calibration</h2>
      <p>How often an outcome happened against how likely the model said it was; on the diagonal is perfect.</p>
      <LineChart
        title={`Calibration in ${record.league}`}
        description="Observed frequency against mean forecast probability, per outcome, in bins of ten percentage points."
        series={calibration}
        xDomain={[0, 1]}
        yDomain={[0, 1]}
        xTicks={[0, 0.25, 0.5, 0.75, 1].map((x) => ({ x, label: formatPercent(x) }))}
        yFormat={formatPercent}
        diagonal
      />
    </>
  );
}

/** Whether the model can be trusted: current versions and data freshness, then one league's record. */
export function ModelPage(props: { league: string | undefined }) {
  const models = useApi("models", () => unwrap(api.GET("/api/v1/models")));
  const league = props.league ?? (models.state === "ready" ? models.data.data[0]?.league : undefined);
  const record = useApi(`record:${league ?? ""}`, () =>
    league === undefined
      ? Promise.resolve(undefined)
      : unwrap(api.GET("/api/v1/models/{league}/record", { params: { path: { league } } })),
  );
  return (
    <section aria-labelledby="model-heading">
      <h1 id="model-heading">The model</h1>
      <h2>Current versions</h2>
      <Status loaded={models} what="the models">
        {(answer) =>
          answer.data.length === 0 ? (
            <p class="status">No model has been fitted yet.</p>
          ) : (
            <div class="scroll">
              <table class="models">
                <thead>
                  <tr>
                    <th scope="col">League</th>
                    <th scope="col">Model</th>
                    <th scope="col">Version</th>
                    <th scope="col">Fitted</th>
                    <th scope="col">Results up to</th>
                    <th scope="col">Matches</th>
                  </tr>
                </thead>
                <tbody>
                  {answer.data.map((model) => (
                    <tr key={model.league}>
                      <th scope="row">{model.league}</th>
                      <td>{model.name}</td>
                      <td>{model.version}</td>
                      <td>{formatInstant(model.fittedAt)}</td>
                      <td>{formatDay(model.dataTo)}</td>
                      <td>{model.metrics.matches}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Status>
      <div class="heading-row">
        <LeaguePicker value={league} allowAll={false} onChange={(code) => navigate(`/model?league=${code ?? ""}`)} />
      </div>
      {league !== undefined && (
        <Status loaded={record} what={`the ${league} record`}>
          {(answer) => (answer === undefined ? null : <Record record={answer} />)}
        </Status>
      )}
    </section>
  );
}
