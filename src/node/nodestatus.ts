// The Node object and its heartbeats (pkg/kubelet/kubelet_node_status.go, nodelease): the agent registers its
// Node with the labels, addresses, capacity and conditions the kubelet reports, renews a Lease in
// kube-node-lease every 10 s (leaseDurationSeconds 40, as the kubelet), and rewrites the Node's status when
// something in it changes (volumesInUse) or every minute to refresh the conditions' heartbeat times — one write
// at a time, whoever asks.
import { arch, cpus, hostname, networkInterfaces, release, totalmem } from "node:os";
import type { Node, NodeCondition, NodeStatus } from "../api/core/types.js";
import type { Lease } from "../api/coordination/types.js";
import { LabelArch, LabelHostname, LabelOS } from "../api/wellknown.js";
import { formatMicroTime, isConflict, isNotFound, type Client } from "../client/index.js";

export const nodeLeaseNamespace = "kube-node-lease";
export const leaseDurationSeconds = 40;

const goArch = (): string => ({ x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386" })[arch() as string] ?? arch();

/** The node's InternalIP when nothing says otherwise: its first non-loopback IPv4 address (else 127.0.0.1). */
export function hostIP(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === "IPv4" && !address.internal) return address.address;
  }
  return "127.0.0.1";
}

function conditions(now: string, previous: NodeCondition[] | undefined): NodeCondition[] {
  const make = (type: string, status: "True" | "False", reason: string, message: string): NodeCondition => {
    const before = previous?.find((c) => c.type === type);
    return {
      type,
      status,
      lastHeartbeatTime: now,
      lastTransitionTime: before && before.status === status ? before.lastTransitionTime : now,
      reason,
      message,
    };
  };
  // The kubelet's four conditions with its reasons and messages.
  return [
    make("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    make("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    make("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    make("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
  ];
}

export interface NodeStatusOptions {
  client: Client;
  nodeName: string;
  /** The Node's InternalIP (the kubelet's --node-ip); default hostIP(). */
  internalIP?: string;
  /** Labels added at registration (besides hostname/os/arch). */
  labels?: Record<string, string>;
  log(message: string, err?: unknown): void;
  /** Called once a write has added volumes to reportedInUse: volume steps waiting on them can go on now. */
  onVolumesReported?(): void;
  /** How often the Lease is renewed; default 10 s (the kubelet's). Fencing wants it a fraction of --fence-after. */
  leaseRenewIntervalMs?: number;
}

export class NodeStatusManager {
  /**
   * Undefined until the agent's volume manager has reconstructed what is mounted: until then the Node keeps the
   * volumesInUse it had (upstream's VolumesInUse setter waits for ReconcilerStatesHasBeenSynced). Writing an empty
   * list at start-up would let the attach/detach controller detach volumes a restarted agent still has mounted.
   */
  private volumesInUse: string[] | undefined;
  private written = "";
  /** volumesInUse as last written to the Node: what the attach/detach controller has been told. */
  readonly reportedInUse = new Set<string>();
  private lastWrite = 0;
  /** A write is in flight; `pending` is the one after it, shared by every call made meanwhile. */
  private writing = false;
  private pending: { force: boolean; waiters: { resolve(): void; reject(err: unknown): void }[] } | undefined;
  /** The kubelet API's port (src/node/server), published as daemonEndpoints.kubeletEndpoint.Port. */
  private kubeletPort = 10250;
  readonly hostIP: string;

  constructor(private readonly options: NodeStatusOptions) {
    this.hostIP = options.internalIP ?? hostIP();
  }

  private status(previous: NodeStatus | undefined, volumesInUse: string[] | undefined): NodeStatus {
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const capacity = {
      cpu: String(cpus().length),
      memory: `${Math.floor(totalmem() / 1024)}Ki`,
      pods: "110",
      "ephemeral-storage": "100Gi",
    };
    return {
      capacity,
      allocatable: capacity,
      conditions: conditions(now, previous?.conditions),
      addresses: [
        { type: "InternalIP", address: this.hostIP },
        { type: "Hostname", address: this.options.nodeName },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: this.kubeletPort } },
      nodeInfo: {
        machineID: "",
        systemUUID: "",
        bootID: "",
        kernelVersion: release(),
        osImage: `stowage node agent on ${hostname()}`,
        containerRuntimeVersion: "stowage://0.1.0",
        kubeletVersion: "v1.32.0",
        kubeProxyVersion: "",
        operatingSystem: "linux",
        architecture: goArch(),
      },
      volumesInUse:
        volumesInUse === undefined ? previous?.volumesInUse : volumesInUse.length ? volumesInUse : undefined,
    };
  }

  /** Creates the Node, or takes over an existing one (a restarted agent), and writes its status. */
  async register(): Promise<Node> {
    const { client, nodeName } = this.options;
    const labels = {
      [LabelHostname]: nodeName,
      [LabelOS]: "linux",
      [LabelArch]: goArch(),
      "beta.kubernetes.io/os": "linux",
      "beta.kubernetes.io/arch": goArch(),
      ...(this.options.labels ?? {}),
    };
    let node: Node;
    try {
      node = await client.nodes.create({
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: nodeName, labels },
        spec: {},
      });
    } catch (err) {
      if (!(err instanceof Error && "reason" in err && err.reason === "AlreadyExists")) throw err;
      node = await client.nodes.get(nodeName);
      const merged = { ...(node.metadata.labels ?? {}), ...labels };
      node = await client.nodes.update({ ...node, metadata: { ...node.metadata, labels: merged } });
    }
    await this.writeStatus(true);
    return node;
  }

  /** Where the apiserver reaches this node's kubelet API for logs and exec; set before register(). */
  setKubeletPort(port: number): void {
    this.kubeletPort = port;
  }

  /**
   * node.status.volumesInUse: what the attach/detach controller must not detach (sorted, as the kubelet). True when
   * it lists a volume the Node does not report yet (whoever waits on that wants a write now).
   */
  setVolumesInUse(names: string[]): boolean {
    this.volumesInUse = [...names].sort();
    return this.volumesInUse.some((name) => !this.reportedInUse.has(name));
  }

  /** When writeStatus was last called: the agent's once-a-second tick calls it (the kubelet's syncloop check). */
  lastAsked = Date.now();

  /**
   * Writes the status when volumesInUse changed, or when forced/stale (heartbeat). Never two writes at once: a call
   * while one is in flight is served by one more write after it, shared with every other call made meanwhile (each
   * write reads volumesInUse as it starts, so it carries the latest). Retries conflicts.
   */
  writeStatus(force = false): Promise<void> {
    this.lastAsked = Date.now();
    return new Promise((resolve, reject) => {
      this.pending ??= { force: false, waiters: [] };
      this.pending.force ||= force;
      this.pending.waiters.push({ resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.pending) {
      const { force, waiters } = this.pending;
      this.pending = undefined;
      try {
        await this.write(force);
        for (const waiter of waiters) waiter.resolve();
      } catch (err) {
        for (const waiter of waiters) waiter.reject(err);
      }
    }
    this.writing = false;
  }

  private async write(force: boolean): Promise<void> {
    const key = JSON.stringify(this.volumesInUse);
    if (!force && key === this.written && Date.now() - this.lastWrite < 60_000) return;
    const inUse = this.volumesInUse;
    for (let attempt = 0; ; attempt++) {
      const node = await this.options.client.nodes.get(this.options.nodeName);
      try {
        await this.options.client.nodes.updateStatus({ ...node, status: this.status(node.status, inUse) });
        break;
      } catch (err) {
        if (!isConflict(err) || attempt > 5) throw err;
      }
    }
    this.written = key;
    this.lastWrite = Date.now();
    if (!inUse) return;
    const grew = inUse.some((name) => !this.reportedInUse.has(name));
    this.reportedInUse.clear();
    for (const name of inUse) this.reportedInUse.add(name);
    if (grew) this.options.onVolumesReported?.();
  }

  /**
   * performance.now() when the last renewal that succeeded was sent: the agent's side of the lease clock (fencing).
   * Sent, not answered: the apiserver wrote it in between, so the controller cannot have seen it any earlier.
   */
  lastRenewed = performance.now();

  /**
   * Creates or renews kube-node-lease/<node>; gives up after 10 s, so a link that hangs cannot stall the loop (a
   * slow apiserver still gets that long: a renewal that succeeds late counts from when it was sent).
   */
  async renewLease(): Promise<void> {
    const sent = performance.now();
    await this.writeLease(AbortSignal.timeout(10_000));
    this.lastRenewed = Math.max(this.lastRenewed, sent);
  }

  private async writeLease(signal: AbortSignal): Promise<void> {
    const { client, nodeName } = this.options;
    const now = formatMicroTime(new Date());
    let lease: Lease | undefined;
    try {
      lease = await client.leases.get(nodeLeaseNamespace, nodeName, { signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!lease) {
      const node = await client.nodes.get(nodeName);
      await client.leases.create(
        {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: {
            name: nodeName,
            namespace: nodeLeaseNamespace,
            ownerReferences: [{ apiVersion: "v1", kind: "Node", name: nodeName, uid: node.metadata.uid ?? "" }],
          },
          spec: { holderIdentity: nodeName, leaseDurationSeconds, renewTime: now },
        },
        { signal },
      );
      return;
    }
    await client.leases.update(
      { ...lease, spec: { ...lease.spec, holderIdentity: nodeName, leaseDurationSeconds, renewTime: now } },
      { signal },
    );
  }

  /** Renews the lease every interval (10 s) and refreshes the status when due, until the signal aborts. */
  async run(signal: AbortSignal, onTick: () => void): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.renewLease();
      } catch (err) {
        this.options.log("renewing the node lease failed", err);
      }
      onTick();
      await new Promise<void>((resolve) => {
        // The abort listener goes with each wait: one left per renewal would pile up on the agent's signal.
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, this.options.leaseRenewIntervalMs ?? 10_000);
        signal.addEventListener("abort", done, { once: true });
      });
    }
  }
}
