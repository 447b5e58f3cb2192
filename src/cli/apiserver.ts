// `stowage apiserver --store sqlite:<file>|memory|etcd:<endpoints> --listen <addr>`: the apiserver alone.
import { untilStopSignal } from "./signals.js";
import type { Command } from "commander";
import { createApiServer } from "../apiserver/server.js";
import { MemoryStore } from "../store/memory.js";
import { SqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import { stowageVersion } from "./version.js";

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

export type StoreSpec = { kind: "sqlite"; file: string } | { kind: "memory" };

export function parseStoreSpec(text: string): StoreSpec {
  if (text === "memory") return { kind: "memory" };
  if (text.startsWith("sqlite:") && text.length > "sqlite:".length)
    return { kind: "sqlite", file: text.slice("sqlite:".length) };
  if (text.startsWith("etcd:")) throw new Error("the etcd store is not built yet; use sqlite:<file> or memory");
  throw new Error(`"${text}" is not a store: use sqlite:<file>, memory or etcd:<endpoints>`);
}

export function registerApiserver(program: Command): void {
  program
    .command("apiserver")
    .description("run the Kubernetes-compatible API server alone")
    .requiredOption("--store <store>", "sqlite:<file> | memory | etcd:<endpoints>")
    .option("--listen <host:port>", "the address to serve on", "127.0.0.1:6443")
    .action(async (options: { store: string; listen: string }) => {
      let spec: StoreSpec;
      try {
        spec = parseStoreSpec(options.store);
        parseListenAddress(options.listen);
      } catch (err) {
        program.error(`error: ${(err as Error).message}`, { exitCode: 2 });
      }
      let store: Store;
      try {
        store = spec.kind === "memory" ? new MemoryStore() : SqliteStore.open(spec.file);
      } catch (err) {
        program.error(`error: --store ${options.store}: ${(err as Error).message}`, { exitCode: 1 });
      }
      const server = await createApiServer({ store, version: stowageVersion });
      const listener = await server.listen(options.listen).catch((err: Error) => {
        program.error(`error: --listen ${options.listen}: ${err.message}`, { exitCode: 1 });
      });
      console.log(`stowage apiserver serving at ${listener.url}`);
      await untilStopSignal(() => server.close().then(() => store.close()));
    });
}
