// The CSI drivers this node knows (pkg/volume/csi/csi_plugin.go RegistrationHandler): each registered driver gets
// a connected CsiClient, and registration does what the kubelet's does: NodeGetInfo, then the driver's entry in
// the CSINode object (nodeID, topologyKeys, allocatable count), its topology segments as Node labels and its
// node ID in the Node's csi.volume.kubernetes.io/nodeid annotation.
import type { Node } from "../api/core/types.js";
import type { CSINode, CSINodeDriver } from "../api/storage/types.js";
import { AnnCSINodeID } from "../api/wellknown.js";
import { isConflict, isNotFound, type Client } from "../client/index.js";
import { CsiClient } from "../csi/client.js";

export interface RegisteredDriver {
  name: string;
  endpoint: string;
  client: CsiClient;
  nodeId: string;
  /** NodeGetCapabilities has STAGE_UNSTAGE_VOLUME: volumes are staged once per node at globalmount. */
  stageUnstage: boolean;
  singleNodeMultiWriter: boolean;
  /** VOLUME_MOUNT_GROUP: the driver applies the pod's fsGroup itself (volume_mount_group), not the kubelet. */
  volumeMountGroup?: boolean;
}

export class DriverNotFoundError extends Error {
  override name = "DriverNotFoundError";
  constructor(readonly driver: string) {
    // csi_client.go newCsiDriverClient's wording.
    super(`driver name ${driver} not found in the list of registered CSI drivers`);
  }
}

export class CsiRegistry {
  private readonly drivers = new Map<string, RegisteredDriver>();

  constructor(
    private readonly client: Client,
    private readonly nodeName: string,
    private readonly log: (message: string) => void,
  ) {}

  get(name: string): RegisteredDriver {
    const driver = this.drivers.get(name);
    if (!driver) throw new DriverNotFoundError(name);
    return driver;
  }

  has(name: string): boolean {
    return this.drivers.has(name);
  }

  names(): string[] {
    return [...this.drivers.keys()];
  }

  /** Connects to the driver at `endpoint`, asks who it is and records it on the Node and CSINode. */
  async register(endpoint: string, signal?: AbortSignal): Promise<RegisteredDriver> {
    const csi = await CsiClient.connect(endpoint, { signal, callTimeoutMs: 120_000 });
    try {
      const [info, nodeInfo, capabilities] = await Promise.all([
        csi.pluginInfo(),
        csi.nodeInfo(),
        csi.nodeCapabilities(),
      ]);
      const driver: RegisteredDriver = {
        name: info.name,
        endpoint,
        client: csi,
        nodeId: nodeInfo.node_id,
        stageUnstage: capabilities.has("STAGE_UNSTAGE_VOLUME"),
        singleNodeMultiWriter: capabilities.has("SINGLE_NODE_MULTI_WRITER"),
        volumeMountGroup: capabilities.has("VOLUME_MOUNT_GROUP"),
      };
      const segments = nodeInfo.accessible_topology?.segments ?? {};
      await this.updateNode(driver, segments);
      await this.updateCSINode({
        name: driver.name,
        nodeID: driver.nodeId,
        topologyKeys: Object.keys(segments).length ? Object.keys(segments).sort() : null,
        ...(nodeInfo.max_volumes_per_node > 0 ? { allocatable: { count: nodeInfo.max_volumes_per_node } } : {}),
      });
      this.drivers.get(driver.name)?.client.close();
      this.drivers.set(driver.name, driver);
      this.log(`registered CSI driver ${driver.name} at ${endpoint} (node ID ${driver.nodeId})`);
      return driver;
    } catch (err) {
      csi.close();
      throw err;
    }
  }

  private async updateNode(driver: RegisteredDriver, segments: Record<string, string>): Promise<void> {
    for (;;) {
      const node: Node = await this.client.nodes.get(this.nodeName);
      const ids = parseNodeIds(node.metadata.annotations?.[AnnCSINodeID]);
      ids[driver.name] = driver.nodeId;
      const labels = { ...(node.metadata.labels ?? {}), ...segments };
      const annotations = { ...(node.metadata.annotations ?? {}), [AnnCSINodeID]: JSON.stringify(ids) };
      try {
        await this.client.nodes.update({ ...node, metadata: { ...node.metadata, labels, annotations } });
        return;
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
  }

  private async updateCSINode(entry: CSINodeDriver): Promise<void> {
    for (;;) {
      let csiNode: CSINode | undefined;
      try {
        csiNode = await this.client.csiNodes.get(this.nodeName);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      try {
        if (!csiNode) {
          const node = await this.client.nodes.get(this.nodeName);
          await this.client.csiNodes.create({
            apiVersion: "storage.k8s.io/v1",
            kind: "CSINode",
            metadata: {
              name: this.nodeName,
              // As the kubelet: the CSINode goes away with its Node.
              ownerReferences: [{ apiVersion: "v1", kind: "Node", name: this.nodeName, uid: node.metadata.uid ?? "" }],
            },
            spec: { drivers: [entry] },
          });
          return;
        }
        const drivers = csiNode.spec.drivers.filter((d) => d.name !== entry.name);
        await this.client.csiNodes.update({ ...csiNode, spec: { drivers: [...drivers, entry] } });
        return;
      } catch (err) {
        if (!isConflict(err) && !(err instanceof Error && "reason" in err && err.reason === "AlreadyExists")) throw err;
      }
    }
  }

  /** The driver's plugin went away (its registration socket was removed): forget it and its CSINode entry. */
  async deregister(name: string): Promise<void> {
    const driver = this.drivers.get(name);
    if (!driver) return;
    driver.client.close();
    this.drivers.delete(name);
    for (;;) {
      let csiNode: CSINode;
      try {
        csiNode = await this.client.csiNodes.get(this.nodeName);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      try {
        await this.client.csiNodes.update({
          ...csiNode,
          spec: { drivers: csiNode.spec.drivers.filter((d) => d.name !== name) },
        });
        this.log(`deregistered CSI driver ${name}`);
        return;
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
  }

  close(): void {
    for (const driver of this.drivers.values()) driver.client.close();
    this.drivers.clear();
  }
}

function parseNodeIds(text: string | undefined): Record<string, string> {
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null) return {};
    return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === "string"));
  } catch {
    return {};
  }
}
