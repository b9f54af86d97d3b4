export { runBacktestCli, USAGE, type CliOutput } from "./cli";
export {
  formatReport,
  runBacktest,
  closingLineScores,
  summariseBacktest,
  type BacktestReport,
  MODEL_NAMES,
  type ModelComparison,
  type PairedDifference,
  type SeasonScores,
} from "./report";
export { calibrationBins, calibrationSvg, type CalibrationBin } from "./calibration";
export {
  MODELS,
  walkForward,
  type BacktestForecast,
  type ModelKey,
  type WalkForwardOptions,
  type WalkForwardResult,
} from "./walkForward";
