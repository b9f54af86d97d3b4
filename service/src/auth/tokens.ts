import { SignJWT, errors, jwtVerify } from "jose";

export const TOKEN_ISSUER = "football-prediction";
export const TOKEN_AUDIENCE = "football-prediction-api";
export const WRITE_SCOPE = "write";

/** Longest lifetime the `token` command mints; operators re-mint rather than hold long-lived tokens. */
export const MAX_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

/**
 * How far the clocks of whoever minted a token and of the service may disagree: `exp` and `nbf` are checked with
 * this much leeway, and `iat` may lie at most this far in the future.
 */
export const CLOCK_SKEW_SECONDS = 60;

/**
 * What a `sub` claim may hold, as it lands in the audit log: 1-128 characters, letters, digits and `. _ @ : + -`,
 * starting with a letter or digit (an operator name, an e-mail address, a CI job such as `ci:deploy`). No spaces,
 * control characters or anything else that could pass for another actor in a log line.
 */
export const SUBJECT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@:+-]{0,127}$/;
export const SUBJECT_SHAPE = "1-128 characters: letters, digits and . _ @ : + -, starting with a letter or digit";

export interface Principal {
  subject: string;
  scopes: string[];
}

/** Why a presented token was refused; the HTTP layer turns it into a 401 naming the problem. */
export class TokenError extends Error {
  override name = "TokenError";
}

const encodeSecret = (secret: string) => new TextEncoder().encode(secret);

export async function mintToken(
  secret: string,
  claims: { subject: string; scopes: readonly string[]; ttlSeconds: number },
): Promise<string> {
  if (!SUBJECT_PATTERN.test(claims.subject)) throw new RangeError(`subject must be ${SUBJECT_SHAPE}`);
  return new SignJWT({ scope: claims.scopes.join(" ") })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.subject)
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds}s`)
    .sign(encodeSecret(secret));
}

/** The OAuth-style space-separated `scope` claim; an array of strings is accepted as well. */
function scopesOf(claim: unknown): string[] {
  if (typeof claim === "string") return claim.split(" ").filter((scope) => scope !== "");
  if (Array.isArray(claim) && claim.every((scope) => typeof scope === "string")) return claim;
  throw new TokenError("token has no valid scope claim");
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "token has expired";
  if (error instanceof errors.JWTClaimValidationFailed) return `token claim invalid: ${error.message}`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return "token signature is invalid";
  if (error instanceof errors.JOSEAlgNotAllowed) return "token must be signed with HS256";
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) return "token is malformed";
  return "token could not be verified";
}

function subjectOf(claim: unknown): string {
  if (typeof claim !== "string" || !SUBJECT_PATTERN.test(claim)) {
    throw new TokenError(`token subject (sub) must be ${SUBJECT_SHAPE}`);
  }
  return claim;
}

/** jose checks `iat` against the clock only together with a maximum token age; a future one is refused here. */
function requireIssuedInThePast(iat: number | undefined): void {
  if (iat !== undefined && iat > Date.now() / 1000 + CLOCK_SKEW_SECONDS) {
    throw new TokenError("token claim invalid: iat is in the future");
  }
}

/**
 * Verifies an HS256 token (signature, issuer, audience, expiry required and enforced, a subject of the documented
 * shape, not issued in the future) and returns its principal.
 */
export async function verifyToken(secret: string, token: string): Promise<Principal> {
  try {
    const { payload } = await jwtVerify(token, encodeSecret(secret), {
      algorithms: ["HS256"],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      requiredClaims: ["exp", "sub"],
      clockTolerance: CLOCK_SKEW_SECONDS,
    });
    requireIssuedInThePast(payload.iat);
    return { subject: subjectOf(payload.sub), scopes: scopesOf(payload.scope) };
  } catch (error) {
    if (error instanceof TokenError) throw error;
    throw new TokenError(describe(error));
  }
}
