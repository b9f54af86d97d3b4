import assert from "node:assert/strict";
import { fixturesQuery } from "../../service/src/http/routes/api";
import { HttpError } from "../../service/src/http/errors";
import { parseQuery } from "../../service/src/http/validation";

describe("query validation", () => {
  it("validates a query string once: the same string gets the same frozen value", () => {
    const first = parseQuery(fixturesQuery, "league=E0", { league: "E0" });
    assert.deepEqual(first, { league: "E0" });
    assert.ok(Object.isFrozen(first));
    assert.equal(parseQuery(fixturesQuery, "league=E0", { league: "E0" }), first);
    assert.notEqual(parseQuery(fixturesQuery, "league=D1", { league: "D1" }), first);
  });

  it("refuses an invalid query string every time it comes, remembering nothing of it", () => {
    for (let i = 0; i < 2; i++) {
      assert.throws(
        () => parseQuery(fixturesQuery, "from=2026-12-01", { from: "2026-12-01" }),
        (error: unknown) => error instanceof HttpError && error.status === 400 && /to: is required/.test(error.message),
      );
    }
  });
});
