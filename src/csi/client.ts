// The typed CSI client every sidecar and the node agent uses. One connection (one HTTP/2 channel over the unix
// socket) serves all four services. It waits until the driver's Probe says ready, gives every call a deadline,
// turns failed calls into CsiError with the spec's code and the driver's message, and caches capability discovery
// for the life of the connection (a driver's capabilities do not change without a restart, which breaks the socket).
import { credentials, Metadata, type ChannelOptions, type Client, type ServiceError } from "@grpc/grpc-js";
import type { MethodDefinition } from "@grpc/proto-loader";
import { setTimeout as sleep } from "node:timers/promises";
import { socketPathOf } from "./endpoint.js";
import { Code, CsiError } from "./errors.js";
import type { ControllerDefinition } from "./generated/csi/v1/Controller.js";
import type { ControllerServiceCapability__Output } from "./generated/csi/v1/ControllerServiceCapability.js";
import type { GetPluginInfoResponse__Output } from "./generated/csi/v1/GetPluginInfoResponse.js";
import type { GroupControllerDefinition } from "./generated/csi/v1/GroupController.js";
import type { IdentityDefinition } from "./generated/csi/v1/Identity.js";
import type { NodeDefinition } from "./generated/csi/v1/Node.js";
import type { NodeGetInfoResponse__Output } from "./generated/csi/v1/NodeGetInfoResponse.js";
import type { NodeServiceCapability__Output } from "./generated/csi/v1/NodeServiceCapability.js";
import type { PluginCapability__Output } from "./generated/csi/v1/PluginCapability.js";
import { csiPackage } from "./protocol.js";

export interface CallOptions {
  /** Deadline for this call; defaults to the connection's callTimeoutMs. */
  timeoutMs?: number;
  /** Cancels the call (the driver sees CANCELLED); the promise rejects with CsiError(CANCELLED). */
  signal?: AbortSignal;
}

/** One promise-returning function per RPC: request (plain object, fields as in the proto) → decoded response. */
export type ServiceClient<D> = {
  [K in keyof D as string extends K ? never : K]: D[K] extends MethodDefinition<
    infer Req,
    infer _Res,
    infer _ReqOut,
    infer ResOut
  >
    ? (request: Req, options?: CallOptions) => Promise<ResOut>
    : never;
};

export type ControllerRpc = ControllerServiceCapability__Output["rpc"] extends infer R
  ? R extends { type: infer T }
    ? T
    : never
  : never;
export type NodeRpc = NodeServiceCapability__Output["rpc"] extends infer R
  ? R extends { type: infer T }
    ? T
    : never
  : never;
type ServiceCapability = NonNullable<PluginCapability__Output["service"]>["type"];
type ExpansionCapability = NonNullable<PluginCapability__Output["volume_expansion"]>["type"];

/** GetPluginCapabilities, flattened. */
export interface PluginCapabilities {
  services: Set<ServiceCapability>;
  /** "ONLINE" or "OFFLINE" when the plugin can expand volumes; undefined when it cannot. */
  volumeExpansion?: ExpansionCapability;
}

export interface ConnectOptions {
  /** Default deadline for each call. Default 30 s. */
  callTimeoutMs?: number;
  /** How long connect() waits for Probe to say ready. Default 60 s. */
  readyTimeoutMs?: number;
  /** Gives up waiting for ready early. */
  signal?: AbortSignal;
  /** Told of every finished call: "/csi.v1.Controller/CreateVolume", its gRPC code (0: OK), how long it took. */
  observe?: (method: string, code: number, seconds: number) => void;
}

type UnaryFn = (
  request: unknown,
  metadata: Metadata,
  options: { deadline: Date },
  callback: (err: ServiceError | null, response: unknown) => void,
) => { cancel(): void };

// grpc-js backs off up to 2 minutes between reconnects by default; a driver restarting should be found in about
// a second, so cap the backoff low. Unix sockets need no keepalive tuning.
const channelOptions: ChannelOptions = {
  "grpc.initial_reconnect_backoff_ms": 100,
  "grpc.max_reconnect_backoff_ms": 1000,
  "grpc.max_receive_message_length": 64 << 20,
  // channelz keeps per-call statistics for a debugging service we do not serve; it costs on every call.
  "grpc.enable_channelz": 0,
};

function serviceClient<D>(
  serviceName: string,
  definition: object,
  client: Client,
  defaults: Required<Pick<ConnectOptions, "callTimeoutMs">> & Pick<ConnectOptions, "observe">,
): ServiceClient<D> {
  const out: Record<string, (request: unknown, options?: CallOptions) => Promise<unknown>> = {};
  const methods = client as unknown as Record<string, UnaryFn>;
  for (const name of Object.keys(definition)) {
    const method = `${serviceName}.${name}`;
    out[name] = (request, options = {}) =>
      new Promise((resolve, reject) => {
        if (options.signal?.aborted) return reject(new CsiError(Code.CANCELLED, `${method} cancelled`, method));
        const deadline = new Date(Date.now() + (options.timeoutMs ?? defaults.callTimeoutMs));
        const startedAt = performance.now();
        const call = methods[name].call(client, request, new Metadata(), { deadline }, (err, response) => {
          options.signal?.removeEventListener("abort", onAbort);
          defaults.observe?.(`/csi.v1.${serviceName}/${name}`, err?.code ?? 0, (performance.now() - startedAt) / 1000);
          if (err) reject(new CsiError(err.code, err.details || err.message, method));
          else resolve(response);
        });
        const onAbort = () => call.cancel();
        options.signal?.addEventListener("abort", onAbort, { once: true });
      });
  }
  return out as ServiceClient<D>;
}

export class CsiClient {
  readonly identity: ServiceClient<IdentityDefinition>;
  readonly controller: ServiceClient<ControllerDefinition>;
  readonly node: ServiceClient<NodeDefinition>;
  readonly groupController: ServiceClient<GroupControllerDefinition>;
  private readonly channelOwner: Client;
  private readonly cache = new Map<string, Promise<unknown>>();

  private constructor(
    readonly endpoint: string,
    options: ConnectOptions,
  ) {
    const address = `unix://${socketPathOf(endpoint)}`;
    const csi = csiPackage();
    const defaults = { callTimeoutMs: options.callTimeoutMs ?? 30_000, observe: options.observe };
    const identity = new csi.Identity(address, credentials.createInsecure(), channelOptions);
    // The other three share Identity's channel: one socket connection per driver, as the CSI sidecars do.
    const shared = { ...channelOptions, channelOverride: identity.getChannel() };
    this.channelOwner = identity;
    this.identity = serviceClient("Identity", csi.Identity.service, identity, defaults);
    this.controller = serviceClient(
      "Controller",
      csi.Controller.service,
      new csi.Controller(address, credentials.createInsecure(), shared),
      defaults,
    );
    this.node = serviceClient(
      "Node",
      csi.Node.service,
      new csi.Node(address, credentials.createInsecure(), shared),
      defaults,
    );
    this.groupController = serviceClient(
      "GroupController",
      csi.GroupController.service,
      new csi.GroupController(address, credentials.createInsecure(), shared),
      defaults,
    );
  }

  /**
   * Connects to the driver at `endpoint` (unix:///path/csi.sock) and returns once Probe reports ready,
   * retrying while the socket is missing, refusing connections, or the driver says "not ready yet".
   * Fails with CsiError(DEADLINE_EXCEEDED) naming the last reason after readyTimeoutMs.
   */
  static async connect(endpoint: string, options: ConnectOptions = {}): Promise<CsiClient> {
    const client = new CsiClient(endpoint, options);
    try {
      await client.waitUntilReady(options.readyTimeoutMs ?? 60_000, options.signal);
      return client;
    } catch (err) {
      client.close();
      throw err;
    }
  }

  /** Probes until ready. Public so a caller can re-check after the driver restarts. */
  async waitUntilReady(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const giveUp = Date.now() + timeoutMs;
    let delay = 50;
    let last = "no answer yet";
    for (;;) {
      if (signal?.aborted) throw new CsiError(Code.CANCELLED, `waiting for CSI driver at ${this.endpoint} cancelled`);
      const remaining = giveUp - Date.now();
      try {
        const probe = await this.identity.Probe({}, { timeoutMs: Math.max(1, Math.min(remaining, 5000)), signal });
        // An unset `ready` means ready (spec.md "Probe").
        if (probe.ready === null || probe.ready.value) return;
        last = "Probe answered ready=false";
      } catch (err) {
        last = err instanceof CsiError ? `${err.codeName}: ${err.message}` : String(err);
      }
      if (Date.now() + delay >= giveUp) {
        throw new CsiError(
          Code.DEADLINE_EXCEEDED,
          `CSI driver at ${this.endpoint} not ready after ${Math.round(timeoutMs / 1000)}s (last: ${last})`,
          "Identity.Probe",
        );
      }
      await sleep(delay, undefined, { signal }).catch(() => undefined);
      delay = Math.min(delay * 2, 1000);
    }
  }

  private cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    let hit = this.cache.get(key) as Promise<T> | undefined;
    if (!hit) {
      hit = load();
      this.cache.set(key, hit);
      // A failed discovery is not remembered: the next caller asks again.
      hit.catch(() => this.cache.delete(key));
    }
    return hit;
  }

  /** GetPluginInfo (name, vendor_version, manifest), once per connection. */
  pluginInfo(): Promise<GetPluginInfoResponse__Output> {
    return this.cached("info", () => this.identity.GetPluginInfo({}));
  }

  /** GetPluginCapabilities, once per connection. */
  pluginCapabilities(): Promise<PluginCapabilities> {
    return this.cached("plugin", async () => {
      const response = await this.identity.GetPluginCapabilities({});
      const result: PluginCapabilities = { services: new Set() };
      for (const capability of response.capabilities) {
        if (capability.service) result.services.add(capability.service.type);
        if (capability.volume_expansion && capability.volume_expansion.type !== "UNKNOWN") {
          result.volumeExpansion = capability.volume_expansion.type;
        }
      }
      return result;
    });
  }

  /** ControllerGetCapabilities as a set of RPC names ("CREATE_DELETE_VOLUME", …), once per connection. */
  controllerCapabilities(): Promise<Set<ControllerRpc>> {
    return this.cached("controller", async () => {
      const response = await this.controller.ControllerGetCapabilities({});
      return new Set(response.capabilities.flatMap((c) => (c.rpc ? [c.rpc.type] : [])));
    });
  }

  /** NodeGetCapabilities as a set of RPC names ("STAGE_UNSTAGE_VOLUME", …), once per connection. */
  nodeCapabilities(): Promise<Set<NodeRpc>> {
    return this.cached("node", async () => {
      const response = await this.node.NodeGetCapabilities({});
      return new Set(response.capabilities.flatMap((c) => (c.rpc ? [c.rpc.type] : [])));
    });
  }

  /** NodeGetInfo (node_id, max_volumes_per_node, accessible_topology), once per connection. */
  nodeInfo(): Promise<NodeGetInfoResponse__Output> {
    return this.cached("nodeInfo", () => this.node.NodeGetInfo({}));
  }

  /** Closes the channel; pending calls fail with CANCELLED/UNAVAILABLE. */
  close(): void {
    this.channelOwner.close();
  }
}

/** Shorthand for CsiClient.connect. */
export const connectCsi = (endpoint: string, options?: ConnectOptions): Promise<CsiClient> =>
  CsiClient.connect(endpoint, options);
