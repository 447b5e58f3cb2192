// Test wiring only: a real apiserver (src/apiserver) on a real store (src/store), reached through both client
// transports. Production client code never imports these; tests need a real server to be worth anything.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { ApiHandler, ApiRequest, ApiResponse } from "../api/http.js";
import { createApiServer } from "../apiserver/server.js";
import { MemoryStore } from "../store/memory.js";
import type { Client } from "../client/client.js";
import { createClient } from "../client/client.js";
import { httpTransport } from "../client/http.js";
import { inProcessTransport } from "../client/inprocess.js";
import { loadKubeconfig } from "../client/kubeconfig.js";
import type { Transport } from "../client/transport.js";

export type TransportKind = "in-process" | "http";
export const transportKinds: TransportKind[] = ["in-process", "http"];

export interface TestApiServer {
  store: MemoryStore;
  handler: ApiHandler;
  url: string;
  kubeconfig: string;
  /** A transport of the given kind, closed in t.after. */
  transport(kind: TransportKind): Transport;
  client(kind: TransportKind): Client;
  /** Compacts the store up to its current revision: every older resourceVersion is now 410 Gone. */
  compact(): Promise<void>;
}

export async function startTestApiServer(
  t: TestContext,
  options: { bookmarkIntervalMs?: number } = {},
): Promise<TestApiServer> {
  const dir = await mkdtemp(join(tmpdir(), "stowage-client-"));
  const store = new MemoryStore();
  const server = await createApiServer({
    store,
    bookmarkIntervalMs: options.bookmarkIntervalMs,
    log: () => {},
  });
  const listener = await server.listen("127.0.0.1:0");
  const kubeconfig = join(dir, "kubeconfig");
  await writeFile(
    kubeconfig,
    [
      "apiVersion: v1",
      "kind: Config",
      "current-context: test",
      `clusters: [{name: test, cluster: {server: "${listener.url}"}}]`,
      "contexts: [{name: test, context: {cluster: test, user: test}}]",
      "users: [{name: test, user: {token: test-token}}]",
    ].join("\n"),
  );
  const closers: Array<() => void> = [];
  t.after(async () => {
    for (const close of closers) close();
    await listener.close();
    await server.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  const transport = (kind: TransportKind): Transport => {
    if (kind === "in-process") return inProcessTransport(server.handler);
    const http = httpTransport(loadKubeconfig(kubeconfig));
    closers.push(() => http.close());
    return http;
  };
  return {
    store,
    handler: server.handler,
    url: listener.url,
    kubeconfig,
    transport,
    client: (kind) => createClient(transport(kind)),
    compact: async () => store.compact(await store.currentRevision()),
  };
}

/**
 * A transport that can drop every open watch and hold new ones back: how a test makes an informer miss
 * events (as a network partition would) so that its next watch starts from a compacted resourceVersion.
 */
export function interruptibleTransport(inner: Transport): {
  transport: Transport;
  /** Ends every open watch stream and makes new watch requests wait until resume(). */
  interrupt(): void;
  resume(): void;
} {
  const open = new Set<AbortController>();
  let held: Promise<void> | undefined;
  let release: (() => void) | undefined;
  const transport = async (request: ApiRequest): Promise<ApiResponse> => {
    const isWatch = request.query.get("watch") === "true";
    if (!isWatch) return inner(request);
    while (held) await held;
    const controller = new AbortController();
    request.signal?.addEventListener("abort", () => controller.abort(), { once: true });
    open.add(controller);
    const response = await inner({ ...request, signal: controller.signal });
    const body = response.body;
    if (body instanceof Uint8Array) return response;
    async function* guarded(): AsyncGenerator<Uint8Array> {
      try {
        for await (const chunk of body as AsyncIterable<Uint8Array>) {
          if (controller.signal.aborted) return;
          yield chunk;
        }
      } catch (err) {
        if (!controller.signal.aborted) throw err;
      } finally {
        open.delete(controller);
      }
    }
    return { ...response, body: guarded() };
  };
  return {
    transport,
    interrupt() {
      held ??= new Promise<void>((resolve) => (release = resolve));
      for (const controller of open) controller.abort();
      open.clear();
    },
    resume() {
      held = undefined;
      release?.();
    },
  };
}

/** Polls until check() returns a value (not undefined/false); for waiting on asynchronous deliveries. */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}
