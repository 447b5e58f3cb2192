// The API objects the node agent reads for its pods, read only as a node may read them (the Node authorizer and the
// system:node rules), as upstream's kubelet reads them: claims, volumes and attachments by GET with a short-lived
// cache (fetched.ts), the configMaps and secrets pods name by one list+watch each (watched.ts), and its own Node by a
// list+watch of that one name. Pods register what they name when they arrive here and unregister when they go.
import type { ConfigMap, Node, PersistentVolume, PersistentVolumeClaim, Pod, Secret } from "../../api/core/types.js";
import type { VolumeAttachment } from "../../api/storage/types.js";
import { Informer, type Client } from "../../client/index.js";
import { FetchedObjects } from "./fetched.js";
import { podObjectKeys } from "./podrefs.js";
import { WatchedObjects } from "./watched.js";

// How long a read stays fresh. A bound claim is read again every 5 s, so a resize (FileSystemResizePending) is seen
// within that; a claim or attachment still on its way is read again after 500 ms. A PV barely changes: it is read
// again when its claim changes (a resize grows both) and otherwise every 30 s.
const claimMaxAgeMs = 5_000;
const volumeMaxAgeMs = 30_000;
const attachmentMaxAgeMs = 5_000;
const waitingMaxAgeMs = 500;

export interface NodeObjects {
  claims: FetchedObjects<PersistentVolumeClaim>;
  volumes: FetchedObjects<PersistentVolume>;
  volumeAttachments: FetchedObjects<VolumeAttachment>;
  configMaps: WatchedObjects<ConfigMap>;
  secrets: WatchedObjects<Secret>;
  /** This node's own Node (a node may list and watch Nodes): status.volumesAttached as last seen. */
  node: Informer<Node>;
  /** The pod (added or changed) needs the configMaps and secrets it names watched. */
  registerPod(pod: Pod): void;
  /** The pod with this UID is gone: what only it needed stops being watched. */
  unregisterPod(uid: string): void;
  /** Unregisters every pod whose UID is not among these (the level-based safety net of unregisterPod). */
  retainPods(uids: ReadonlySet<string>): void;
  /** Any object changed (a claim bound, an attachment attached, a configMap edited, the Node's volumesAttached). */
  onChange(handler: () => void): void;
  /** Starts the Node's watch; everything stops with the signal. */
  start(signal: AbortSignal): void;
}

export function createNodeObjects(
  client: Client,
  nodeName: string,
  log: (message: string, err?: unknown) => void,
): NodeObjects {
  const claims = new FetchedObjects<PersistentVolumeClaim>({
    client: client.persistentVolumeClaims,
    maxAgeMs: claimMaxAgeMs,
    waiting: (claim) => !claim || claim.status?.phase !== "Bound" || !claim.spec.volumeName,
    waitingMaxAgeMs,
    log,
  });
  const volumes = new FetchedObjects<PersistentVolume>({
    client: client.persistentVolumes,
    maxAgeMs: volumeMaxAgeMs,
    waiting: (volume) => !volume,
    waitingMaxAgeMs,
    log,
  });
  const volumeAttachments = new FetchedObjects<VolumeAttachment>({
    client: client.volumeAttachments,
    maxAgeMs: attachmentMaxAgeMs,
    waiting: (attachment) => !attachment?.status?.attached || Boolean(attachment.metadata.deletionTimestamp),
    waitingMaxAgeMs,
    log,
  });
  const configMaps = new WatchedObjects<ConfigMap>({ client: client.configMaps, kind: "configmap", log });
  const secrets = new WatchedObjects<Secret>({ client: client.secrets, kind: "secret", log });
  const node = new Informer<Node>(client.nodes, {
    fieldSelector: `metadata.name=${nodeName}`,
    log: (message, fields) => log(`watching node ${nodeName}: ${message} ${JSON.stringify(fields)}`),
  });
  // A changed claim may have grown (a resize updates its PV first): read its volume again too.
  claims.onChange((key) => {
    const volumeName = claims.get(key)?.spec.volumeName;
    if (volumeName) volumes.refresh(volumeName);
  });

  const unregisterPod = (uid: string) => {
    configMaps.setNeeds(uid, []);
    secrets.setNeeds(uid, []);
  };
  return {
    claims,
    volumes,
    volumeAttachments,
    configMaps,
    secrets,
    node,
    registerPod(pod) {
      const uid = pod.metadata.uid;
      if (!uid) return;
      const keys = podObjectKeys(pod);
      configMaps.setNeeds(uid, keys.configMaps);
      secrets.setNeeds(uid, keys.secrets);
    },
    unregisterPod,
    retainPods(uids) {
      for (const uid of new Set([...configMaps.owners(), ...secrets.owners()])) if (!uids.has(uid)) unregisterPod(uid);
    },
    onChange(handler) {
      for (const cache of [claims, volumes, volumeAttachments, configMaps, secrets]) cache.onChange(() => handler());
      // Only volumesAttached matters to the volume manager; the status heartbeat would wake it for nothing.
      node.onUpdate((old, current) => {
        if (attachedNames(old) !== attachedNames(current)) handler();
      });
      node.onAdd(() => handler());
    },
    start(signal) {
      void node.run(signal);
      signal.addEventListener(
        "abort",
        () => {
          for (const cache of [claims, volumes, volumeAttachments, configMaps, secrets]) cache.stop();
        },
        { once: true },
      );
    },
  };
}

const attachedNames = (node: Node): string => (node.status?.volumesAttached ?? []).map((v) => v.name).join(",");

/** Whether node.status.volumesAttached, as last seen, lists this unique volume name. */
export function attachedInNodeStatus(node: Node | undefined, uniqueName: string): boolean {
  return (node?.status?.volumesAttached ?? []).some((volume) => volume.name === uniqueName);
}
