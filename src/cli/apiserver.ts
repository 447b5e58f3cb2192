// `stowage apiserver --store sqlite:<file>|memory|etcd://<endpoints> --listen <addr>`: the apiserver alone.
import { untilStopSignal } from "./signals.js";
import { InvalidArgumentError, type Command } from "commander";
import { durationFlag } from "./flags.js";
import { readFileSync } from "node:fs";
import { createApiServer, type ApiServerOptions } from "../apiserver/server.js";
import { StaticTokens, TokenFileError } from "../apiserver/authn/tokenfile.js";
import { authorizationModes, type AuthorizationMode, type SecurityOptions } from "../apiserver/authz/gate.js";
import type { ServingTls } from "../apiserver/http.js";
import type { KubeletClientTls } from "../apiserver/kubelet.js";
import { loadEncryptionConfig, type EncryptionConfig } from "../apiserver/encryption/config.js";
import { DefaultServiceAccountIssuer, type ServiceAccountTokenOptions } from "../apiserver/authn/serviceaccount.js";
import { publicKeysFromPem, signingKeyFromPem } from "../apiserver/authn/serviceaccountkeys.js";
import type { Store } from "../store/store.js";
import { addEtcdFlags, openStore, parseStoreSpec, type EtcdFlags, type StoreSpec } from "./storeflags.js";
import { stowageVersion } from "./version.js";
import { kubeletClientFromFlags, type KubeletClientFlags } from "./kubeletflags.js";
import { adoptSharedPki, dataDirSecurity, writeAdminKubeconfig, type DataDirSecurity } from "./apiserverdatadir.js";

export function parseListenAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(":");
  if (colon <= 0) throw new Error(`"${address}" is not host:port (for example 127.0.0.1:6443)`);
  const host = address.slice(0, colon);
  const portText = address.slice(colon + 1);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535)
    throw new Error(`"${portText}" in "${address}" is not a port number (0-65535)`);
  return { host, port };
}

export { parseStoreSpec, type StoreSpec } from "./storeflags.js";

interface SecurityFlags {
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  clientCaFile?: string;
  tokenAuthFile?: string;
  authorizationMode?: string;
  anonymousAuth: boolean;
  encryptionProviderConfig?: string;
}

interface ServiceAccountFlags {
  serviceAccountKeyFile?: string[];
  serviceAccountSigningKeyFile?: string;
  serviceAccountIssuer?: string[];
  apiAudiences?: string[];
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
/** pflag's stringSlice: comma-separated, and the flag may be repeated. */
const collectList = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  ...value
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== ""),
];

/**
 * The ServiceAccount token flags, read once here: the signing key is needed as soon as any of them is given (as
 * kube-apiserver requires it); every problem names its flag. None given: tokens are neither issued nor accepted.
 */
export function serviceAccountTokensFromFlags(flags: ServiceAccountFlags): ServiceAccountTokenOptions | undefined {
  const given = flags.serviceAccountKeyFile?.length || flags.serviceAccountIssuer?.length || flags.apiAudiences?.length;
  if (!flags.serviceAccountSigningKeyFile) {
    if (given) throw new Error("--service-account-signing-key-file is required to issue ServiceAccount tokens");
    return undefined;
  }
  const issuers = flags.serviceAccountIssuer?.length ? flags.serviceAccountIssuer : [DefaultServiceAccountIssuer];
  for (const issuer of issuers) {
    if (issuer.includes(":") && !URL.canParse(issuer)) {
      throw new Error(`--service-account-issuer ${issuer}: contained a ':' but was not a valid URL`);
    }
  }
  // each file read and parsed here, so that a bad one is refused naming its flag and file
  const load = <T>(flag: string, file: string, parse: (pem: string) => T): string => {
    try {
      const pem = readFileSync(file, "utf8");
      parse(pem);
      return pem;
    } catch (err) {
      throw new Error(`${flag} ${file}: ${(err as Error).message}`);
    }
  };
  const signingKey = load("--service-account-signing-key-file", flags.serviceAccountSigningKeyFile, signingKeyFromPem);
  const keyFiles = (flags.serviceAccountKeyFile ?? []).map((file) =>
    load("--service-account-key-file", file, publicKeysFromPem),
  );
  return { signingKey, keyFiles, issuers, apiAudiences: flags.apiAudiences };
}

/** kube-apiserver's --authorization-mode: a comma-separated list, tried in order. */
export function parseAuthorizationModes(text: string): AuthorizationMode[] {
  const modes = text.split(",").map((m) => m.trim());
  for (const mode of modes) {
    if (!authorizationModes.includes(mode as AuthorizationMode)) {
      throw new Error(
        `--authorization-mode: "${mode}" is not supported; use a list of ${authorizationModes.join(", ")}`,
      );
    }
  }
  return modes as AuthorizationMode[];
}

/** The TLS and security the flags ask for; files are read once, here, and every problem names its flag. */
function securityFromFlags(flags: SecurityFlags): {
  tls?: ServingTls;
  security?: SecurityOptions;
  encryption?: EncryptionConfig;
} {
  const read = (flag: string, file: string) => {
    try {
      return readFileSync(file, "utf8");
    } catch (err) {
      throw new Error(`${flag} ${file}: ${(err as Error).message}`);
    }
  };
  if (!flags.tlsCertFile !== !flags.tlsPrivateKeyFile) {
    throw new Error("--tls-cert-file and --tls-private-key-file go together");
  }
  if (flags.clientCaFile && !flags.tlsCertFile) throw new Error("--client-ca-file needs --tls-cert-file (HTTPS)");
  const tls = flags.tlsCertFile
    ? {
        cert: read("--tls-cert-file", flags.tlsCertFile),
        key: read("--tls-private-key-file", flags.tlsPrivateKeyFile!),
        ...(flags.clientCaFile ? { clientCA: read("--client-ca-file", flags.clientCaFile) } : {}),
      }
    : undefined;
  const secured = flags.clientCaFile || flags.tokenAuthFile || flags.authorizationMode || !flags.anonymousAuth;
  if (!secured) return { tls };
  let tokens: StaticTokens | undefined;
  if (flags.tokenAuthFile) {
    try {
      tokens = StaticTokens.load(flags.tokenAuthFile);
    } catch (err) {
      if (err instanceof TokenFileError) throw new Error(`--token-auth-file: ${err.message}`);
      throw new Error(`--token-auth-file ${flags.tokenAuthFile}: ${(err as Error).message}`);
    }
  }
  return {
    tls,
    security: {
      authentication: { tokens, anonymous: flags.anonymousAuth },
      authorization: parseAuthorizationModes(flags.authorizationMode ?? "AlwaysAllow"),
    },
  };
}

/** --encryption-provider-config, read and checked once; a problem names the flag and the file. */
function encryptionFromFlag(file: string): EncryptionConfig {
  try {
    return loadEncryptionConfig(file);
  } catch (err) {
    throw new Error(`--encryption-provider-config ${file}: ${(err as Error).message}`);
  }
}

/** The limit flags as createApiServer takes them. */
export function apiserverLimits(flags: LimitFlags): Pick<ApiServerOptions, "limits" | "eventTtlMs"> {
  return {
    limits: {
      maxRequestsInflight: flags.maxRequestsInflight,
      maxMutatingRequestsInflight: flags.maxMutatingRequestsInflight,
      requestTimeoutMs: flags.requestTimeout,
    },
    eventTtlMs: flags.eventTtl,
  };
}

export interface LimitFlags {
  maxRequestsInflight: number;
  maxMutatingRequestsInflight: number;
  requestTimeout: number;
  eventTtl: number;
}

/** A count that may be 0 (no limit), as kube-apiserver's in-flight flags. */
function countFlag(text: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`"${text}" is not a whole number (0 means no limit)`);
  return Number(text);
}

/**
 * kube-apiserver's --max-requests-inflight, --max-mutating-requests-inflight, --request-timeout and --event-ttl
 * (on `apiserver` and `up`).
 */
export function limitFlags(command: Command): Command {
  return command
    .option(
      "--max-requests-inflight <n>",
      "read-only requests served at once; more get 429 (0: no limit)",
      countFlag,
      400,
    )
    .option(
      "--max-mutating-requests-inflight <n>",
      "creates, updates, patches and deletes served at once; more get 429 (0: no limit)",
      countFlag,
      200,
    )
    .option(
      "--request-timeout <duration>",
      "how long a request that is not a watch, log or exec may take before a 504 (0: no limit)",
      durationFlag,
      60_000,
    )
    .option(
      "--event-ttl <duration>",
      "how long Events are kept after their last write (0: forever)",
      durationFlag,
      3_600_000,
    );
}

/** --data-dir brings its own serving certificate, client CA and authorizers: the flags that would set them clash. */
function checkDataDirFlags(flags: ApiserverFlags): void {
  if (!flags.dataDir) {
    for (const [flag, given] of [
      ["--pki-from", flags.pkiFrom],
      ["--tls-san", flags.tlsSan],
    ] as const) {
      if (given) throw new Error(`${flag} needs --data-dir`);
    }
    return;
  }
  for (const [flag, given] of [
    ["--tls-cert-file", flags.tlsCertFile],
    ["--tls-private-key-file", flags.tlsPrivateKeyFile],
    ["--client-ca-file", flags.clientCaFile],
    ["--authorization-mode", flags.authorizationMode],
  ] as const) {
    if (given) throw new Error(`${flag} clashes with --data-dir, which makes its own (drop one of them)`);
  }
}

type ApiserverFlags = {
  store: string;
  listen: string;
  dataDir?: string;
  pkiFrom?: string;
  tlsSan?: string[];
} & SecurityFlags &
  ServiceAccountFlags &
  KubeletClientFlags &
  EtcdFlags &
  LimitFlags;

export function registerApiserver(program: Command): void {
  const command = limitFlags(program.command("apiserver"))
    .description("run the Kubernetes-compatible API server alone")
    .requiredOption("--store <store>", "sqlite:<file> | memory | etcd://<host:port>[,<host:port>…]")
    .option("--listen <host:port>", "the address to serve on", "127.0.0.1:6443")
    .option(
      "--data-dir <dir>",
      "secure as `up` is: a CA and certificates in <dir>/pki (made once), HTTPS, client certificates, Node,RBAC, " +
        "and an admin kubeconfig in <dir>/kubeconfig",
    )
    .option("--pki-from <dir>", "with --data-dir: share the CA and ServiceAccount key of this apiserver's data dir")
    .option("--tls-san <name>", "with --data-dir: an extra DNS name or IP address to serve as (repeatable)", collect)
    .option("--tls-cert-file <file>", "serve HTTPS with this certificate (PEM)")
    .option("--tls-private-key-file <file>", "the serving certificate's private key (PEM)")
    .option("--client-ca-file <file>", "authenticate client certificates signed by this CA (CN = user, O = groups)")
    .option("--token-auth-file <file>", 'static bearer tokens: CSV lines token,user,uid[,"group1,group2"]')
    .option(
      "--authorization-mode <modes>",
      "comma-separated, tried in order: Node, RBAC, AlwaysAllow (default AlwaysAllow)",
    )
    .option(
      "--encryption-provider-config <file>",
      "EncryptionConfiguration: which resources are encrypted at rest, how",
    )
    .option(
      "--service-account-signing-key-file <file>",
      "private key (PEM, RSA or ECDSA) that signs ServiceAccount tokens; serves serviceaccounts/{name}/token",
    )
    .option(
      "--service-account-key-file <file>",
      "PEM keys that verify ServiceAccount tokens (repeatable; default the signing key)",
      collect,
    )
    .option(
      "--service-account-issuer <issuer>",
      `the iss of ServiceAccount tokens (repeatable: the first issues, all are accepted; default ${DefaultServiceAccountIssuer})`,
      collect,
    )
    .option(
      "--api-audiences <audiences>",
      "comma-separated: a ServiceAccount token must be for one of them to authenticate (default the issuers)",
      collectList,
    )
    .option(
      "--kubelet-client-certificate <file>",
      "the certificate pods/log and pods/exec present to kubelets (PEM; CN kube-apiserver-kubelet-client, " +
        "O system:masters)",
    )
    .option("--kubelet-client-key <file>", "the kubelet client certificate's private key (PEM)")
    .option(
      "--kubelet-certificate-authority <file>",
      "the CA kubelets' serving certificates must chain to (default: the system's roots)",
    )
    .option(
      "--no-anonymous-auth",
      "refuse requests without credentials (401) instead of treating them as system:anonymous",
    );
  addEtcdFlags(command).action((options: ApiserverFlags) => runApiserver(program, options));
}

async function runApiserver(program: Command, options: ApiserverFlags): Promise<void> {
  let spec: StoreSpec;
  let secure: ReturnType<typeof securityFromFlags>;
  let serviceAccountTokens: ServiceAccountTokenOptions | undefined;
  let kubeletClient: KubeletClientTls;
  try {
    checkDataDirFlags(options);
    spec = parseStoreSpec(options.store);
    parseListenAddress(options.listen);
    secure = securityFromFlags(options);
    kubeletClient = kubeletClientFromFlags(options);
    if (options.encryptionProviderConfig) secure.encryption = encryptionFromFlag(options.encryptionProviderConfig);
    serviceAccountTokens = serviceAccountTokensFromFlags(options);
    checkDataDirFlags(options);
  } catch (err) {
    program.error(`error: ${(err as Error).message}`, { exitCode: 2 });
  }
  let dataDir: DataDirSecurity | undefined;
  if (options.dataDir) {
    try {
      if (options.pkiFrom) adoptSharedPki(options.dataDir, options.pkiFrom);
      dataDir = await dataDirSecurity(options.dataDir, options.tlsSan);
    } catch (err) {
      program.error(`error: --data-dir ${options.dataDir}: ${(err as Error).message}`, { exitCode: 1 });
    }
    secure.tls = dataDir.tls;
    const tokens = secure.security?.authentication.tokens;
    secure.security = { ...dataDir.security, authentication: { tokens, anonymous: options.anonymousAuth } };
    serviceAccountTokens ??= { signingKey: dataDir.signingKey };
    if (!kubeletClient.cert && !kubeletClient.ca) kubeletClient = dataDir.kubeletClient;
  }
  let store: Store;
  try {
    store = openStore(spec, options);
  } catch (err) {
    program.error(`error: --store ${options.store}: ${(err as Error).message}`, { exitCode: 1 });
  }
  const server = await createApiServer({
    store,
    version: stowageVersion,
    ...secure,
    serviceAccountTokens,
    kubeletClient,
    ...apiserverLimits(options),
  });
  const listener = await server.listen(options.listen).catch((err: Error) => {
    program.error(`error: --listen ${options.listen}: ${err.message}`, { exitCode: 1 });
  });
  console.log(`stowage apiserver serving at ${listener.url}`);
  if (options.dataDir && dataDir) {
    console.log(`admin kubeconfig: ${writeAdminKubeconfig(options.dataDir, listener.url, dataDir.admin)}`);
  }
  await untilStopSignal(() => server.close().then(() => store.close()));
}
