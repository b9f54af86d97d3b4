export { runBacktestCli, USAGE, type CliOutput } from "./cli";
export {
  formatReport,
  runBacktest,
  summariseBacktest,
  type BacktestReport,
  MODEL_NAMES,
  type ModelComparison,
  type PairedDifference,
  type SeasonScores,
} from "./report";
export {
  pooledClosingLine,
  seasonClosingLine,
  storedClosingLine,
  type ClosingLineScores,
  type ClosingOddsOrigin,
} from "./closingLine";
export { calibrationBins, calibrationSvg, type CalibrationBin } from "./calibration";
export {
  MODELS,
  walkForward,
  type BacktestForecast,
  type ModelKey,
  type WalkForwardOptions,
  type WalkForwardResult,
} from "./walkForward";
