import { SignJWT, errors, jwtVerify } from "jose";

export const TOKEN_ISSUER = "football-prediction";
export const TOKEN_AUDIENCE = "football-prediction-api";
export const WRITE_SCOPE = "write";

/** Longest lifetime the `token` command mints; operators re-mint rather than hold long-lived tokens. */
export const MAX_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

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

/** Verifies an HS256 token (signature, issuer, audience, expiry required and enforced) and returns its principal. */
export async function verifyToken(secret: string, token: string): Promise<Principal> {
  try {
    const { payload } = await jwtVerify(token, encodeSecret(secret), {
      algorithms: ["HS256"],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      requiredClaims: ["exp", "sub"],
    });
    return { subject: payload.sub as string, scopes: scopesOf(payload.scope) };
  } catch (error) {
    if (error instanceof TokenError) throw error;
    throw new TokenError(describe(error));
  }
}
