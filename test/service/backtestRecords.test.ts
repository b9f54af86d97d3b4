import assert from "node:assert/strict";
import { BacktestRecords } from "../../service/src/backtest/records";
import { AppError } from "../../service/src/errors";
import { ModelRegistry } from "../../service/src/predictions/modelRegistry";
import type { Database } from "../../service/src/storage/db";
import type { ModelVersion } from "../../service/src/storage/repositories/modelVersions";
import { eventually } from "../support/net";
import { silentLogger } from "../support/service";

const model = { league: "E0", version: 1, parameters: { model: "dixon-coles/1" } } as unknown as ModelVersion;

const refusal = (call: Promise<unknown>) =>
  call.then(
    () => assert.fail("expected a refusal"),
    (error: unknown) => (error as AppError).code,
  );

describe("backtest records", () => {
  it("answers 503 record_not_ready while computing, and starts again after a failed computation", async () => {
    let reads = 0;
    // A database whose every query fails: the computation fails at its first read.
    const db = (() => {
      reads++;
      throw new Error("database away");
    }) as unknown as Database;
    const registry = new ModelRegistry();
    registry.install(model);
    const records = new BacktestRecords(db, registry, silentLogger);

    assert.equal(await refusal(records.forLeague("E0")), "record_not_ready");
    await eventually(async () => (reads === 1 ? true : undefined));
    // Not stuck on the failed run: the next request starts another.
    await eventually(async () => {
      assert.equal(await refusal(records.forLeague("E0")), "record_not_ready");
      return reads >= 2 ? true : undefined;
    });
  });
});
