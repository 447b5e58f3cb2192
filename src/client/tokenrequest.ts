// client-go's ServiceAccounts(ns).CreateToken: POST serviceaccounts/{name}/token with a TokenRequest; the answer's
// status carries the token and when it expires.
import type { TokenRequest, TokenRequestSpec } from "../api/authentication/tokenrequest.js";
import { TokenRequestApiVersion } from "../api/authentication/tokenrequest.js";
import type { Client } from "./client.js";
import { ApiError } from "./errors.js";
import { encodeJson, readJson } from "./wire.js";

export interface IssuedToken {
  token: string;
  expirationTimestamp: Date;
  /** The lifetime the apiserver granted (it may shorten what was asked). */
  expirationSeconds: number;
}

export async function createServiceAccountToken(
  client: Client,
  namespace: string,
  name: string,
  spec: Partial<TokenRequestSpec>,
  options: { signal?: AbortSignal; userAgent?: string } = {},
): Promise<IssuedToken> {
  const body: TokenRequest = {
    apiVersion: TokenRequestApiVersion,
    kind: "TokenRequest",
    metadata: {},
    spec: { audiences: spec.audiences ?? [], ...spec },
  };
  const value = await readJson(
    await client.transport({
      method: "POST",
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(name)}/token`,
      query: new URLSearchParams(),
      headers: {
        accept: "application/json",
        "content-type": "application/json",
        "user-agent": options.userAgent ?? "stowage",
      },
      body: encodeJson(body),
      signal: options.signal,
    }),
  );
  const answer = value as Partial<TokenRequest> | null;
  const status = answer?.status;
  const expires = status ? Date.parse(status.expirationTimestamp) : NaN;
  if (!status?.token || Number.isNaN(expires)) {
    throw new ApiError(0, "Unknown", `create token for serviceaccounts "${name}": the answer carries no token`);
  }
  const granted = answer?.spec?.expirationSeconds ?? spec.expirationSeconds;
  return {
    token: status.token,
    expirationTimestamp: new Date(expires),
    expirationSeconds: typeof granted === "number" ? granted : Math.round((expires - Date.now()) / 1000),
  };
}
