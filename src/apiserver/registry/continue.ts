// List continue tokens, in upstream's shape (base64 of {"v":"meta.k8s.io/v1","rv":N,"start":"<key rest>\u0000"})
// plus how many items were handed out before, for remainingItemCount. Clients treat the token as opaque.
import { badRequest } from "../errors.js";

export interface ContinueToken {
  revision: number;
  /** The last key returned, relative to the list prefix. */
  after: string;
  consumed: number;
}

export function encodeContinue(token: ContinueToken): string {
  const json = JSON.stringify({
    v: "meta.k8s.io/v1",
    rv: token.revision,
    start: `${token.after}\u0000`,
    n: token.consumed,
  });
  return Buffer.from(json).toString("base64url");
}

export function decodeContinue(text: string): ContinueToken {
  const refuse = () => badRequest(`continue key is not valid: ${JSON.stringify(text)}`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    throw refuse();
  }
  if (typeof value !== "object" || value === null) throw refuse();
  const { v, rv, start, n } = value as Record<string, unknown>;
  if (v !== "meta.k8s.io/v1" || typeof rv !== "number" || typeof start !== "string" || !start.endsWith("\u0000")) {
    throw refuse();
  }
  if (start.includes("..") || start.startsWith("/")) throw refuse();
  return { revision: rv, after: start.slice(0, -1), consumed: typeof n === "number" ? n : 0 };
}
