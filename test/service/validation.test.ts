import assert from "node:assert/strict";
import { z } from "zod";
import { fixturesQuery } from "../../service/src/http/routes/api";
import { HttpError } from "../../service/src/http/errors";
import { idParam, leagueCode, parsePath, parseQuery } from "../../service/src/http/validation";

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

describe("path validation", () => {
  it("validates a path parameter once per text: the same text gets the same frozen value", () => {
    let parses = 0;
    const counted = z.string().transform((text) => {
      parses += 1;
      return { text };
    });
    const first = parsePath(counted, "a");
    assert.deepEqual(first, { text: "a" });
    assert.ok(Object.isFrozen(first));
    assert.equal(parsePath(counted, "a"), first);
    assert.equal(parses, 1);
    assert.notEqual(parsePath(counted, "b"), first);
    assert.equal(parses, 2);
    assert.equal(parsePath(idParam, "42"), 42);
    assert.equal(parsePath(leagueCode, "E0"), "E0");
  });

  it("keeps path parameters apart from query strings validated by the same schema", () => {
    assert.equal(parsePath(idParam, "42"), 42);
    // A path parameter remembered for a schema is not taken for a query string of the same text.
    assert.throws(
      () => parseQuery(idParam, "42", { id: "42" }),
      (error: unknown) => error instanceof HttpError && error.status === 400 && error.code === "invalid_query",
    );
  });

  it("refuses an invalid or missing path parameter every time, as a 400 naming the path", () => {
    for (let i = 0; i < 2; i++) {
      for (const parameter of ["0", "2147483648", "1e3", undefined]) {
        assert.throws(
          () => parsePath(idParam, parameter),
          (error: unknown) => error instanceof HttpError && error.status === 400 && error.code === "invalid_path",
          String(parameter),
        );
      }
    }
  });
});
