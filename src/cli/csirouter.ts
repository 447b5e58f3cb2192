// One Controller endpoint in front of several instances of a node-local CSI driver (hostpath: one instance per node,
// each serving only its node's volumes). `stowage up --nodes N` gives the provisioner and attacher this router, the
// in-process stand-in for upstream's distributed provisioning (external-provisioner --node-deployment): CreateVolume
// goes to the instance of the node the topology prefers, calls about an existing volume go to the instance that
// knows it (the others answer NOT_FOUND), listings and capacities are gathered from all. Node calls are not routed:
// each node agent talks to its own instance directly.
import type { CsiClient } from "../csi/client.js";
import { Code, CsiError } from "../csi/errors.js";
import { serveCsi, type CallContext, type ControllerService, type CsiServer } from "../csi/server.js";

export interface RouterOptions {
  endpoint: string;
  /** The driver's instances by node ID (the value of `topologyKey` in their accessible topology). */
  backends: Map<string, CsiClient>;
  topologyKey: string;
  log?: (line: string) => void;
}

type Segments = Array<{ segments: Record<string, string> }> | null | undefined;

const notFound = (err: unknown) => err instanceof CsiError && err.code === Code.NOT_FOUND;

/** The driver's instances, and the ways a Controller call is routed to them. */
class Backends {
  readonly all: CsiClient[];
  readonly first: CsiClient;

  constructor(
    private readonly byNode: Map<string, CsiClient>,
    private readonly topologyKey: string,
  ) {
    this.all = [...byNode.values()];
    if (this.all.length === 0) throw new Error("csi router: no backends");
    this.first = this.all[0];
  }

  /** The node a topology segment names (the value of the driver's topology key), if any. */
  nodeOf(segments: Record<string, string> | undefined): string | undefined {
    return segments?.[this.topologyKey];
  }

  ofNode(node: string): CsiClient | undefined {
    return this.byNode.get(node);
  }

  /** The instance for a topology: preferred first (the selected node for WaitForFirstConsumer), then requisite. */
  forTopology(preferred: Segments, requisite: Segments): CsiClient {
    for (const t of [...(preferred ?? []), ...(requisite ?? [])]) {
      const backend = this.ofNode(this.nodeOf(t.segments) ?? "");
      if (backend) return backend;
    }
    return this.first;
  }

  /** The first answer that is not NOT_FOUND, trying every instance: the volume lives on exactly one. */
  async owner<T>(call: (backend: CsiClient) => Promise<T>): Promise<T> {
    let last: unknown;
    for (const backend of this.all) {
      try {
        return await call(backend);
      } catch (err) {
        if (!notFound(err)) throw err;
        last = err;
      }
    }
    throw last;
  }

  /** Idempotent deletes: every instance is asked; unknown IDs answer OK, so the one that had it did the work. */
  async everywhere(call: (backend: CsiClient) => Promise<unknown>): Promise<void> {
    for (const backend of this.all) await call(backend);
  }

  /**
   * Every entry of every instance (each listed to its end), paged with our own token: an offset into the
   * concatenation.
   */
  async gather<T>(
    list: (backend: CsiClient, token: string) => Promise<{ entries: T[]; next_token: string }>,
    maxEntries: number,
    startingToken: string,
  ): Promise<{ entries: T[]; next_token: string }> {
    const entries: T[] = [];
    for (const backend of this.all) {
      let token = "";
      do {
        const page = await list(backend, token);
        entries.push(...page.entries);
        token = page.next_token;
      } while (token !== "");
    }
    const start = startingToken === "" ? 0 : Number(startingToken);
    if (!Number.isInteger(start) || start < 0 || start > entries.length) {
      throw new CsiError(Code.ABORTED, `invalid starting_token ${JSON.stringify(startingToken)}`);
    }
    const end = maxEntries > 0 ? Math.min(entries.length, start + maxEntries) : entries.length;
    return { entries: entries.slice(start, end), next_token: end < entries.length ? String(end) : "" };
  }
}

const callOpts = (ctx: CallContext) => ({ signal: ctx.signal });

function routedController(backends: Backends): Partial<ControllerService> {
  const { first, all } = backends;
  return {
    ControllerGetCapabilities: (request, ctx) => first.controller.ControllerGetCapabilities(request, callOpts(ctx)),
    CreateVolume: (request, ctx) => {
      const requirement = request.accessibility_requirements;
      return backends.forTopology(requirement?.preferred, requirement?.requisite).controller.CreateVolume(request, {
        ...callOpts(ctx),
        timeoutMs: 120_000,
      });
    },
    async DeleteVolume(request, ctx) {
      await backends.everywhere((b) => b.controller.DeleteVolume(request, callOpts(ctx)));
      return {};
    },
    ControllerPublishVolume: (request, ctx) =>
      backends.owner((b) => b.controller.ControllerPublishVolume(request, callOpts(ctx))),
    async ControllerUnpublishVolume(request, ctx) {
      await backends.everywhere((b) =>
        b.controller.ControllerUnpublishVolume(request, callOpts(ctx)).catch((err: unknown) => {
          if (!notFound(err)) throw err;
        }),
      );
      return {};
    },
    ValidateVolumeCapabilities: (request, ctx) =>
      backends.owner((b) => b.controller.ValidateVolumeCapabilities(request, callOpts(ctx))),
    ControllerGetVolume: (request, ctx) =>
      backends.owner((b) => b.controller.ControllerGetVolume(request, callOpts(ctx))),
    ControllerExpandVolume: (request, ctx) =>
      backends.owner((b) => b.controller.ControllerExpandVolume(request, callOpts(ctx))),
    ListVolumes: (request, ctx) =>
      backends.gather(
        (b, token) => b.controller.ListVolumes({ starting_token: token }, callOpts(ctx)),
        request.max_entries,
        request.starting_token,
      ),
    async GetCapacity(request, ctx) {
      const node = backends.nodeOf(request.accessible_topology?.segments);
      if (node !== undefined) {
        const backend = backends.ofNode(node);
        return backend ? backend.controller.GetCapacity(request, callOpts(ctx)) : { available_capacity: 0 };
      }
      let available = 0;
      for (const b of all) available += (await b.controller.GetCapacity(request, callOpts(ctx))).available_capacity;
      return { available_capacity: available };
    },
    CreateSnapshot: (request, ctx) => backends.owner((b) => b.controller.CreateSnapshot(request, callOpts(ctx))),
    async DeleteSnapshot(request, ctx) {
      await backends.everywhere((b) => b.controller.DeleteSnapshot(request, callOpts(ctx)));
      return {};
    },
    ListSnapshots: (request, ctx) =>
      backends.gather(
        (b, token) =>
          b.controller.ListSnapshots(
            { starting_token: token, snapshot_id: request.snapshot_id, source_volume_id: request.source_volume_id },
            callOpts(ctx),
          ),
        request.max_entries,
        request.starting_token,
      ),
  };
}

export async function serveCsiRouter(options: RouterOptions): Promise<CsiServer> {
  const backends = new Backends(options.backends, options.topologyKey);
  const { first } = backends;
  return serveCsi(
    options.endpoint,
    {
      identity: {
        GetPluginInfo: (request, ctx) => first.identity.GetPluginInfo(request, callOpts(ctx)),
        GetPluginCapabilities: (request, ctx) => first.identity.GetPluginCapabilities(request, callOpts(ctx)),
        Probe: (request, ctx) => first.identity.Probe(request, callOpts(ctx)),
      },
      controller: routedController(backends),
    },
    { onInternalError: (method, err) => options.log?.(`csi router: ${method} failed: ${String(err)}`) },
  );
}
