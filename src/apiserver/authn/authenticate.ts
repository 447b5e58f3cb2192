// Who a request comes from, as kube-apiserver's union authenticator decides it: a verified client certificate
// (CN = user, O = groups), else a bearer token (static tokens; ServiceAccount tokens once served), else the
// anonymous user. Credentials that are present but wrong are a 401, never a fall-back to anonymous.
import type { ClientCertificate } from "../../api/http.js";
import { AllAuthenticated, AllUnauthenticated, Anonymous, type UserInfo } from "../../api/user.js";
import { StatusError } from "../errors.js";
import type { StaticTokens } from "./tokenfile.js";

export interface Authenticators {
  tokens?: StaticTokens;
  /** Further bearer-token authenticators, tried in order (e.g. ServiceAccount JWTs). */
  bearer?: ((token: string) => Promise<UserInfo | undefined>)[];
  /** Whether requests without credentials are system:anonymous (kube-apiserver's default) or refused. */
  anonymous: boolean;
}

export const unauthorized = () => new StatusError(401, "Unauthorized", "Unauthorized");

/** upstream adds system:authenticated to every authenticated user that lacks it. */
const authenticated = (user: UserInfo): UserInfo =>
  user.groups.includes(AllAuthenticated) ? user : { ...user, groups: [...user.groups, AllAuthenticated] };

export async function authenticate(
  authenticators: Authenticators,
  credentials: { clientCertificate?: ClientCertificate; authorization?: string },
): Promise<UserInfo> {
  const cert = credentials.clientCertificate;
  if (cert) {
    // a certificate the TLS layer could not verify against the client CA is a wrong credential
    if (!cert.verified || !cert.commonName) throw unauthorized();
    return authenticated({ name: cert.commonName, groups: [...cert.organizations] });
  }
  const header = credentials.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthorized();
    const token = match[1];
    let user = authenticators.tokens?.authenticate(token);
    for (const check of authenticators.bearer ?? []) user ??= await check(token);
    if (!user) throw unauthorized();
    return authenticated(user);
  }
  if (!authenticators.anonymous) throw unauthorized();
  return { name: Anonymous, groups: [AllUnauthenticated] };
}
