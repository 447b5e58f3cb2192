// --store and the etcd flags, shared by `stowage apiserver` and `stowage up`: parsed and checked once, every problem
// naming its flag, then the store they name opened.
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { EtcdStore } from "../store/etcd.js";
import { MemoryStore } from "../store/memory.js";
import { SqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";

export type StoreSpec = { kind: "sqlite"; file: string } | { kind: "memory" } | { kind: "etcd"; endpoints: string[] };

export const storeGrammar = "sqlite:<file>, memory or etcd://<host:port>[,<host:port>…]";

/** `sqlite:<file>`, `memory`, `etcd://host:port[,host:port…]` (also `etcd:http(s)://host:port,…`). */
export function parseStoreSpec(text: string): StoreSpec {
  if (text === "memory") return { kind: "memory" };
  if (text.startsWith("sqlite:") && text.length > "sqlite:".length)
    return { kind: "sqlite", file: text.slice("sqlite:".length) };
  if (text.startsWith("etcd:")) {
    const list = text.startsWith("etcd://") ? text.slice("etcd://".length) : text.slice("etcd:".length);
    const endpoints = list.split(",").map((e) => e.trim());
    for (const endpoint of endpoints) {
      const hostPort = endpoint.replace(/^https?:\/\//, "");
      if (!/^[^\s/:]+:\d{1,5}$/.test(hostPort) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(hostPort)) {
        throw new Error(`"${endpoint}" in "${text}" is not an etcd member's host:port (for example 127.0.0.1:2379)`);
      }
    }
    return { kind: "etcd", endpoints };
  }
  throw new Error(`"${text}" is not a store: use ${storeGrammar}`);
}

export interface EtcdFlags {
  etcdCafile?: string;
  etcdCertfile?: string;
  etcdKeyfile?: string;
  etcdPrefix: string;
}

/** kube-apiserver's etcd flags, under their names. */
export function addEtcdFlags(command: Command): Command {
  return command
    .option("--etcd-cafile <file>", "the CA that signed the etcd members' serving certificates (PEM): TLS to etcd")
    .option("--etcd-certfile <file>", "our client certificate for etcd (PEM)")
    .option("--etcd-keyfile <file>", "our client certificate's private key (PEM)")
    .option("--etcd-prefix <prefix>", "where the objects live in etcd", "/registry");
}

/** The apiserver's own keys begin with this; --etcd-prefix says what it becomes in etcd. */
const apiserverRoot = "/registry";

/** Opens the store a spec names; the etcd flags must agree with it (a problem names its flag). */
export function openStore(spec: StoreSpec, flags: Partial<EtcdFlags> = {}): Store {
  if (spec.kind === "memory") return new MemoryStore();
  if (spec.kind === "sqlite") {
    const given = (["etcdCafile", "etcdCertfile", "etcdKeyfile"] as const).filter((f) => flags[f]);
    if (given.length) throw new Error(`--etcd-* flags need --store etcd://…, not sqlite`);
    return SqliteStore.open(spec.file);
  }
  if (!flags.etcdCertfile !== !flags.etcdKeyfile) throw new Error("--etcd-certfile and --etcd-keyfile go together");
  if (flags.etcdCertfile && !flags.etcdCafile) throw new Error("--etcd-certfile needs --etcd-cafile (TLS to etcd)");
  const prefix = (flags.etcdPrefix ?? apiserverRoot).replace(/\/+$/, "");
  if (!prefix.startsWith("/")) throw new Error(`--etcd-prefix ${flags.etcdPrefix}: must begin with "/"`);
  const read = (flag: string, file: string) => {
    try {
      return readFileSync(file, "utf8");
    } catch (err) {
      throw new Error(`${flag} ${file}: ${(err as Error).message}`);
    }
  };
  const tls = flags.etcdCafile
    ? {
        ca: read("--etcd-cafile", flags.etcdCafile),
        ...(flags.etcdCertfile ? { cert: read("--etcd-certfile", flags.etcdCertfile) } : {}),
        ...(flags.etcdKeyfile ? { key: read("--etcd-keyfile", flags.etcdKeyfile) } : {}),
      }
    : undefined;
  // host:port alone speaks TLS when a CA is given, as etcdctl does with --cacert
  const scheme = tls ? "https://" : "http://";
  const endpoints = spec.endpoints.map((e) => (/^https?:\/\//.test(e) ? e : scheme + e));
  return new EtcdStore({ endpoints, tls, root: apiserverRoot, prefix });
}
