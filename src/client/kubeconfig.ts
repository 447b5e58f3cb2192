// Reads a kubeconfig (the YAML kubectl uses) into the few values a client needs: the current context's
// cluster server and TLS material, and its user's bearer token or client certificate. Parsed once, here;
// every problem names the file and the field to fix.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";

export interface Kubeconfig {
  /** Where it came from (file path or "<inline>"), for messages. */
  source: string;
  contextName: string;
  clusterName: string;
  userName?: string;
  /** The context's namespace, when set (kubectl's default namespace). */
  namespace?: string;
  /** e.g. https://127.0.0.1:6443 (a path prefix is kept); the first of `servers`. */
  server: string;
  /**
   * Every apiserver of the cluster, when `server` lists several separated by commas (a stowage extension: kubectl
   * takes one): clients fail over between them, as k3s's agent does with its client-side load balancer.
   */
  servers?: string[];
  certificateAuthority?: Buffer;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  token?: string;
  clientCertificate?: Buffer;
  clientKey?: Buffer;
}

export class KubeconfigError extends Error {
  override readonly name = "KubeconfigError";
}

export interface KubeconfigOptions {
  /** Use this context instead of current-context (kubectl's --context). */
  context?: string;
}

export function loadKubeconfig(file: string, options: KubeconfigOptions = {}): Kubeconfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new KubeconfigError(`kubeconfig ${file}: cannot read it: ${(err as Error).message}`);
  }
  return parseKubeconfig(text, { ...options, source: file, baseDir: dirname(resolve(file)) });
}

type Yaml = Record<string, unknown>;

export function parseKubeconfig(
  text: string,
  options: KubeconfigOptions & { source?: string; baseDir?: string } = {},
): Kubeconfig {
  const source = options.source ?? "<inline>";
  const baseDir = options.baseDir ?? process.cwd();
  const fail = (what: string): never => {
    throw new KubeconfigError(`kubeconfig ${source}: ${what}`);
  };
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    return fail(`not valid YAML: ${(err as Error).message}`);
  }
  if (!isMap(doc)) return fail("expected a YAML mapping with clusters, contexts and users");

  const contextName = options.context ?? str(doc["current-context"]);
  if (!contextName) return fail("current-context is not set (and no context was given)");
  const context = named(doc.contexts, "context", contextName);
  if (!context) return fail(`current-context "${contextName}" names no entry in contexts`);

  const clusterName = str(context.cluster);
  if (!clusterName) return fail(`context "${contextName}" has no cluster`);
  const cluster = named(doc.clusters, "cluster", clusterName);
  if (!cluster) return fail(`context "${contextName}" names cluster "${clusterName}", which is not in clusters`);
  const serverList = str(cluster.server);
  if (!serverList) return fail(`cluster "${clusterName}" has no server`);
  const servers = serverList.split(",").map((s) => s.trim().replace(/\/+$/, ""));
  for (const server of servers) {
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      return fail(`cluster "${clusterName}" server "${server}" is not a URL (want e.g. https://127.0.0.1:6443)`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return fail(`cluster "${clusterName}" server "${server}" must start with http:// or https://`);
    }
  }

  const readPem = (dataField: string, fileField: string, where: Yaml, owner: string): Buffer | undefined => {
    const data = str(where[dataField]);
    if (data) return Buffer.from(data, "base64");
    const file = str(where[fileField]);
    if (!file) return undefined;
    const path = isAbsolute(file) ? file : resolve(baseDir, file);
    try {
      return readFileSync(path);
    } catch (err) {
      return fail(`${owner} ${fileField} ${path}: ${(err as Error).message}`);
    }
  };

  const config: Kubeconfig = {
    source,
    contextName,
    clusterName,
    server: servers[0],
    ...(servers.length > 1 ? { servers } : {}),
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
  };
  const namespace = str(context.namespace);
  if (namespace) config.namespace = namespace;
  const ca = readPem("certificate-authority-data", "certificate-authority", cluster, `cluster "${clusterName}"`);
  if (ca) config.certificateAuthority = ca;
  const tlsServerName = str(cluster["tls-server-name"]);
  if (tlsServerName) config.tlsServerName = tlsServerName;

  const userName = str(context.user);
  if (userName) {
    config.userName = userName;
    const user = named(doc.users, "user", userName);
    if (!user) return fail(`context "${contextName}" names user "${userName}", which is not in users`);
    const token = str(user.token);
    const tokenFile = str(user.tokenFile);
    if (token) config.token = token;
    else if (tokenFile) {
      const path = isAbsolute(tokenFile) ? tokenFile : resolve(baseDir, tokenFile);
      try {
        config.token = readFileSync(path, "utf8").trim();
      } catch (err) {
        return fail(`user "${userName}" tokenFile ${path}: ${(err as Error).message}`);
      }
    }
    const who = `user "${userName}"`;
    const cert = readPem("client-certificate-data", "client-certificate", user, who);
    const key = readPem("client-key-data", "client-key", user, who);
    if (cert && !key) return fail(`${who} has a client certificate but no client key`);
    if (key && !cert) return fail(`${who} has a client key but no client certificate`);
    if (cert) config.clientCertificate = cert;
    if (key) config.clientKey = key;
  }
  return config;
}

function isMap(value: unknown): value is Yaml {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** kubeconfig's `- name: x\n  <field>: {...}` lists. */
function named(list: unknown, field: string, name: string): Yaml | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const entry of list) {
    if (isMap(entry) && entry.name === name) {
      const inner = entry[field];
      return isMap(inner) ? inner : {};
    }
  }
  return undefined;
}
