export { runBacktestCli, USAGE, type CliOutput } from "./cli";
export {
  formatReport,
  runBacktest,
  summariseBacktest,
  type BacktestReport,
  type ModelVsBaseline,
  type SeasonScores,
} from "./report";
export { calibrationBins, calibrationSvg, type CalibrationBin } from "./calibration";
export { walkForward, type BacktestForecast, type WalkForwardOptions, type WalkForwardResult } from "./walkForward";
