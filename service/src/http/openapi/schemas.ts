import { z } from "zod";

/**
 * The API's responses as zod schemas: the OpenAPI document is generated from them (document.ts), and the tests parse
 * real responses with them. Strict objects, so a field added to a response without its schema fails the tests
 * instead of going undocumented.
 */

const count = z.number().int().min(0);
const probability = z.number().min(0).max(1);
const isoDateText = z.string().regex(/^\d{4}-\d{2}-\d{2}$/).meta({ format: "date" });
const instant = z.iso.datetime();
const sideCounts = z.strictObject({ home: count, away: count });

export const errorResponse = z
  .strictObject({
    error: z.strictObject({
      code: z.string().meta({ description: "Stable, machine-readable: invalid_query, not_found, model_not_ready..." }),
      message: z.string().meta({ description: "A sentence naming the problem" }),
      details: z.unknown().optional(),
      requestId: z.string(),
    }),
  })
  .meta({ title: "Error" });

export const team = z.strictObject({ id: z.number().int().min(1), name: z.string() }).meta({ title: "Team" });

export const league = z
  .strictObject({ code: z.string(), name: z.string(), country: z.string(), seasons: z.array(z.string()) })
  .meta({ title: "League" });

export const match = z
  .strictObject({
    id: z.number().int().min(1),
    league: z.string(),
    season: z.string(),
    date: isoDateText,
    kickoff: instant.nullable().meta({ description: "Kick-off instant (UTC) when the source gives a time" }),
    matchday: z.number().int().nullable(),
    homeTeam: team,
    awayTeam: team,
    status: z.enum(["scheduled", "played", "postponed", "cancelled"]),
    score: sideCounts.nullable(),
    shots: sideCounts.nullable(),
    shotsOnTarget: sideCounts.nullable(),
  })
  .meta({ title: "Match" });

const page = <T extends z.ZodType>(item: T) =>
  z.strictObject({
    data: z.array(item),
    page: z.strictObject({ limit: z.number().int(), nextCursor: z.string().nullable() }),
  });

export const teamPage = page(team);
export const matchPage = page(match);
export const leagueList = z.strictObject({ data: z.array(league) });
export const teamWithLeagues = team.extend({ leagues: z.array(z.string()) });

export const prediction = z
  .strictObject({
    homeWin: probability,
    draw: probability,
    awayWin: probability,
    expectedGoals: z.strictObject({ home: z.number().min(0), away: z.number().min(0) }),
    likelyScores: z.array(z.strictObject({ homeGoals: count, awayGoals: count, probability })),
    over25: probability,
    under25: probability,
    bothTeamsToScore: probability,
  })
  .meta({ title: "Prediction" });

export const modelSummary = z
  .strictObject({
    version: z.number().int().min(1),
    name: z.string().meta({ description: "dixon-coles/1 (goals) or dixon-coles-shots/1 (goals and shots)" }),
    fittedAt: instant,
    dataFrom: isoDateText,
    dataTo: isoDateText,
  })
  .meta({ title: "ModelSummary" });

export const matchPrediction = z.strictObject({
  match,
  model: modelSummary,
  inSample: z.boolean().meta({ description: "True when the model was fitted on this very result (hindsight)" }),
  prediction,
  scoreGrid: z
    .array(z.array(probability))
    .meta({ description: "Probability of each score, 0-6 goals a side: scoreGrid[homeGoals][awayGoals]" }),
});

export const pairingPrediction = z.strictObject({
  league: z.string(),
  homeTeam: team,
  awayTeam: team,
  model: modelSummary,
  prediction,
});

export const status = z.strictObject({
  service: z.literal("football-prediction"),
  version: z.string(),
  environment: z.string(),
  startedAt: instant,
  uptimeSeconds: count,
  storage: z.enum(["postgres", "embedded"]),
  cache: z.enum(["redis", "memory"]),
  models: z.array(modelSummary.extend({ league: z.string() })),
});

export const modelList = z.strictObject({
  data: z.array(
    modelSummary.extend({
      league: z.string(),
      asOf: isoDateText,
      metrics: z.strictObject({
        matches: count,
        logLikelihood: z.number(),
        iterations: count,
        converged: z.boolean(),
        durationMs: z.number(),
      }),
    }),
  ),
});

export const refitRequests = z.strictObject({
  data: z.array(
    z.strictObject({
      id: z.number().int(),
      league: z.string(),
      reason: z.enum(["result", "stats", "manual"]),
      requestedBy: z.string(),
      requestedAt: instant,
    }),
  ),
});

export const teamStrength = z.strictObject({
  team,
  data: z.array(
    z.strictObject({
      league: z.string(),
      points: z.array(
        z.strictObject({
          version: z.number().int(),
          fittedAt: instant,
          dataTo: isoDateText,
          attack: z.number().meta({ description: "Log-scale attack rating: higher scores more" }),
          defence: z.number().meta({ description: "Log-scale defence rating: higher concedes less" }),
        }),
      ),
    }),
  ),
});

export const leagueRecord = z.strictObject({
  league: z.string(),
  version: z.number().int(),
  model: z.string(),
  computedAt: instant,
  closingOdds: z.boolean().meta({
    description: "Whether any season has a closing-line figure (from stored closing odds or the shipped figures)",
  }),
  seasons: z.array(
    z.strictObject({
      season: z.string(),
      matches: count,
      rps: z.strictObject({
        model: z.number(),
        baseline: z.number().meta({ description: "The previous seasons' home/draw/away frequencies" }),
        closingOdds: z.number().nullable().meta({
          description:
            "The bookmakers' closing line (Pinnacle's closing odds, else the market average's, as 1/odds normalised to remove the margin) over the season's matches with closing odds; null where neither stored odds nor the shipped figures cover the season",
        }),
      }),
      closingOddsSource: z.enum(["stored", "shipped"]).nullable().meta({
        description:
          "Where rps.closingOdds comes from: `stored`, the closing odds stored with the season's matches (imported from football-data.co.uk files by this deployment); `shipped`, the derived figures the service ships (service/data/closing-line.csv; no prices are shipped); null when rps.closingOdds is",
      }),
    }),
  ),
  calibration: z.array(
    z.strictObject({
      outcome: z.enum(["home", "draw", "away"]),
      lower: probability,
      upper: probability,
      forecasts: count,
      meanPredicted: probability,
      observedFrequency: probability,
    }),
  ),
});

export const ping = z.strictObject({ pong: z.literal(true) });

export const fixtures = z.strictObject({
  data: z.array(
    z.strictObject({
      match,
      prediction: prediction.nullable().meta({ description: "Null for a league without a model, or a past match with none stored" }),
      model: modelSummary.nullable(),
      forecast: z.boolean().meta({ description: "True: a forecast of a match to come; false: the stored pre-match prediction" }),
    }),
  ),
  range: z.strictObject({ from: isoDateText, to: isoDateText }),
});
