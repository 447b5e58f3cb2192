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

export async function serveCsiRouter(options: RouterOptions): Promise<CsiServer> {
  const { backends, topologyKey } = options;
  const all = [...backends.values()];
  if (all.length === 0) throw new Error("csi router: no backends");
  const first = all[0];

  /** The instance for a topology: preferred first (the selected node for WaitForFirstConsumer), then requisite. */
  const forTopology = (preferred: Segments, requisite: Segments): CsiClient => {
    for (const t of [...(preferred ?? []), ...(requisite ?? [])]) {
      const backend = backends.get(t.segments[topologyKey] ?? "");
      if (backend) return backend;
    }
    return first;
  };
  const callOpts = (ctx: CallContext) => ({ signal: ctx.signal });

  /** The first answer that is not NOT_FOUND, trying every instance: the volume lives on exactly one. */
  async function owner<T>(call: (backend: CsiClient) => Promise<T>): Promise<T> {
    let last: unknown;
    for (const backend of all) {
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
  async function everywhere(call: (backend: CsiClient) => Promise<unknown>): Promise<void> {
    for (const backend of all) await call(backend);
  }
  /** Paged listing over all instances, with our own token: an offset into the concatenation. */
  function paged<T>(items: T[], maxEntries: number, token: string): { page: T[]; next: string } {
    const start = token === "" ? 0 : Number(token);
    if (!Number.isInteger(start) || start < 0 || start > items.length) {
      throw new CsiError(Code.ABORTED, `invalid starting_token ${JSON.stringify(token)}`);
    }
    const end = maxEntries > 0 ? Math.min(items.length, start + maxEntries) : items.length;
    return { page: items.slice(start, end), next: end < items.length ? String(end) : "" };
  }

  const controller: Partial<ControllerService> = {
    ControllerGetCapabilities: (request, ctx) => first.controller.ControllerGetCapabilities(request, callOpts(ctx)),
    CreateVolume: (request, ctx) => {
      const requirement = request.accessibility_requirements;
      return forTopology(requirement?.preferred, requirement?.requisite).controller.CreateVolume(request, {
        ...callOpts(ctx),
        timeoutMs: 120_000,
      });
    },
    async DeleteVolume(request, ctx) {
      await everywhere((b) => b.controller.DeleteVolume(request, callOpts(ctx)));
      return {};
    },
    ControllerPublishVolume: (request, ctx) =>
      owner((b) => b.controller.ControllerPublishVolume(request, callOpts(ctx))),
    async ControllerUnpublishVolume(request, ctx) {
      await everywhere((b) =>
        b.controller.ControllerUnpublishVolume(request, callOpts(ctx)).catch((err: unknown) => {
          if (!notFound(err)) throw err;
        }),
      );
      return {};
    },
    ValidateVolumeCapabilities: (request, ctx) =>
      owner((b) => b.controller.ValidateVolumeCapabilities(request, callOpts(ctx))),
    ControllerGetVolume: (request, ctx) => owner((b) => b.controller.ControllerGetVolume(request, callOpts(ctx))),
    ControllerExpandVolume: (request, ctx) => owner((b) => b.controller.ControllerExpandVolume(request, callOpts(ctx))),
    async ListVolumes(request, ctx) {
      const entries = [];
      for (const b of all) {
        let token = "";
        do {
          const page = await b.controller.ListVolumes({ starting_token: token }, callOpts(ctx));
          entries.push(...page.entries);
          token = page.next_token;
        } while (token !== "");
      }
      const { page, next } = paged(entries, request.max_entries, request.starting_token);
      return { entries: page, next_token: next };
    },
    async GetCapacity(request, ctx) {
      const node = request.accessible_topology?.segments[topologyKey];
      if (node !== undefined) {
        const backend = backends.get(node);
        return backend ? backend.controller.GetCapacity(request, callOpts(ctx)) : { available_capacity: 0 };
      }
      let available = 0;
      for (const b of all) available += (await b.controller.GetCapacity(request, callOpts(ctx))).available_capacity;
      return { available_capacity: available };
    },
    CreateSnapshot: (request, ctx) => owner((b) => b.controller.CreateSnapshot(request, callOpts(ctx))),
    async DeleteSnapshot(request, ctx) {
      await everywhere((b) => b.controller.DeleteSnapshot(request, callOpts(ctx)));
      return {};
    },
    async ListSnapshots(request, ctx) {
      const entries = [];
      for (const b of all) {
        let token = "";
        do {
          const page = await b.controller.ListSnapshots(
            { starting_token: token, snapshot_id: request.snapshot_id, source_volume_id: request.source_volume_id },
            callOpts(ctx),
          );
          entries.push(...page.entries);
          token = page.next_token;
        } while (token !== "");
      }
      const { page, next } = paged(entries, request.max_entries, request.starting_token);
      return { entries: page, next_token: next };
    },
  };
  const server = await serveCsi(
    options.endpoint,
    {
      identity: {
        GetPluginInfo: (request, ctx) => first.identity.GetPluginInfo(request, callOpts(ctx)),
        GetPluginCapabilities: (request, ctx) => first.identity.GetPluginCapabilities(request, callOpts(ctx)),
        Probe: (request, ctx) => first.identity.Probe(request, callOpts(ctx)),
      },
      controller,
    },
    { onInternalError: (method, err) => options.log?.(`csi router: ${method} failed: ${String(err)}`) },
  );
  return server;
}
