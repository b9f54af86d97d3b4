import assert from "node:assert/strict";
import { TokenError, mintToken, verifyToken } from "../../service/src/auth/tokens";
import { parseTtl } from "../../service/src/runtime/commands";

const SECRET = "a-secret-for-unit-tests-of-32-chars!";

describe("tokens", () => {
  it("mints HS256 tokens that verify to their subject and scopes", async () => {
    const token = await mintToken(SECRET, { subject: "ops", scopes: ["write", "read"], ttlSeconds: 60 });
    assert.equal(JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString()).alg, "HS256");
    assert.deepEqual(await verifyToken(SECRET, token), { subject: "ops", scopes: ["write", "read"] });
  });

  it("refuses tokens signed with another secret", async () => {
    const token = await mintToken(`${SECRET}x`, { subject: "ops", scopes: ["write"], ttlSeconds: 60 });
    await assert.rejects(
      verifyToken(SECRET, token),
      (error: unknown) => error instanceof TokenError && /signature/.test(error.message),
    );
  });

  it("mints only subjects of the documented shape (finding 5)", async () => {
    for (const subject of ["", "a b", "admin\nforged", "-leading-dash", "x".repeat(129)]) {
      await assert.rejects(mintToken(SECRET, { subject, scopes: ["write"], ttlSeconds: 60 }), /subject must be/);
    }
    for (const subject of ["alice", "alice@example.com", "ci:deploy", "svc.backup-1+x"]) {
      assert.equal((await verifyToken(SECRET, await mintToken(SECRET, { subject, scopes: [], ttlSeconds: 60 }))).subject, subject);
    }
  });

  it("parses token lifetimes and bounds them", () => {
    assert.equal(parseTtl("90"), 90);
    assert.equal(parseTtl("30m"), 1_800);
    assert.equal(parseTtl("12h"), 43_200);
    assert.equal(parseTtl("7d"), 604_800);
    assert.throws(() => parseTtl("0"), /between/);
    assert.throws(() => parseTtl("31d"), /between/);
    assert.throws(() => parseTtl("1w"), /--ttl/);
  });
});
