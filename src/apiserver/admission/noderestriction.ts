// The NodeRestriction admission plugin, as upstream's (plugin/pkg/admission/noderestriction): the Node authorizer
// lets a node (user system:node:<name>, group system:nodes) write Nodes, Pods, pod status, Leases and CSINodes in
// general; this plugin narrows that to what is its own — its Node (never its taints, nor labels outside the kubelet's
// set), mirror pods bound to it, status of pods bound to it, evictions and tokens for its pods, its Lease and CSINode —
// refused with upstream's Forbidden messages. Everyone else passes untouched.
import type { Node, PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import type { KubeObject } from "../../api/meta.js";
import { goQuote } from "../../api/selectors/validation.js";
import { deepEqual } from "../../api/validation/meta.js";
import { nodeIdentity } from "../authz/node.js";
import { podEdges } from "../authz/nodegraph.js";
import { forbidden, notFound, type StatusError } from "../errors.js";
import { forbiddenNodeLabels } from "./nodelabels.js";
import type { AdmissionAttributes, AdmissionPlugin, ObjectReader } from "./types.js";

export const mirrorPodAnnotation = "kubernetes.io/config.mirror";
const nodeLeaseNamespace = "kube-node-lease";

/** upstream's admission.NewForbidden: the object's name (or generateName), "Unknown" when there is none (a delete). */
function refuse(attrs: AdmissionAttributes, why: string): StatusError {
  const meta = attrs.object?.metadata;
  const name = meta?.name || meta?.generateName || "Unknown";
  return forbidden({ group: attrs.def.group, resource: attrs.def.plural }, name, why);
}

type Admit = (node: string, attrs: AdmissionAttributes, reader: ObjectReader) => Promise<void> | void;

const admitPod: Admit = async (node, attrs, reader) => {
  switch (attrs.subresource) {
    case "":
      if (attrs.operation === "CREATE") return admitMirrorPod(node, attrs, reader);
      if (attrs.operation === "DELETE") {
        // only a pod bound to itself (its own pods, once they have stopped, and its mirror pods)
        if ((attrs.old as Pod | undefined)?.spec.nodeName !== node)
          throw refuse(attrs, `node ${goQuote(node)} can only delete pods with spec.nodeName set to itself`);
        return;
      }
      throw refuse(
        attrs,
        `unexpected operation ${goQuote(attrs.operation)}, node ${goQuote(node)} can only create and delete mirror pods`,
      );
    case "status":
      return admitPodStatus(node, attrs);
    case "eviction":
      return admitEviction(node, attrs, reader);
    default:
      throw refuse(
        attrs,
        `unexpected pod subresource ${goQuote(attrs.subresource)}, only 'status' and 'eviction' are allowed`,
      );
  }
};

/** A node creates only mirror pods of its static pods: bound to it, owned by its Node, naming nothing it could read through them. */
async function admitMirrorPod(node: string, attrs: AdmissionAttributes, reader: ObjectReader): Promise<void> {
  const pod = attrs.object as Pod;
  const q = goQuote(node);
  if (pod.metadata.annotations?.[mirrorPodAnnotation] === undefined)
    throw refuse(
      attrs,
      `pod does not have ${goQuote(mirrorPodAnnotation)} annotation, node ${q} can only create mirror pods`,
    );
  if (pod.spec.nodeName !== node)
    throw refuse(attrs, `node ${q} can only create pods with spec.nodeName set to itself`);
  const owners = pod.metadata.ownerReferences ?? [];
  if (owners.length > 1)
    throw refuse(attrs, `node ${q} can only create pods with a single owner reference set to itself`);
  const owner = owners[0];
  if (!owner || owner.apiVersion !== "v1" || owner.kind !== "Node" || owner.name !== node)
    throw refuse(attrs, `node ${q} can only create pods with an owner reference set to itself`);
  if (owner.controller !== true)
    throw refuse(attrs, `node ${q} can only create pods with a controller owner reference set to itself`);
  if (owner.blockOwnerDeletion === true)
    throw refuse(attrs, `node ${q} must not set blockOwnerDeletion on an owner reference`);
  const nodeObject = await reader.get("", "nodes", undefined, node);
  if (!nodeObject) throw notFound({ group: "", resource: "nodes" }, node);
  if (owner.uid !== nodeObject.metadata.uid)
    throw refuse(attrs, `node ${node} UID mismatch: expected ${owner.uid} got ${nodeObject.metadata.uid ?? ""}`);
  // a mirror pod must not give its node a path to objects the Node authorizer would then let it read
  if (pod.spec.serviceAccountName)
    throw refuse(attrs, `node ${q} can not create pods that reference a service account`);
  const edges = podEdges(pod);
  if (edges.secrets.length) throw refuse(attrs, `node ${q} can not create pods that reference secrets`);
  if (edges.configMaps.length) throw refuse(attrs, `node ${q} can not create pods that reference configmaps`);
  // (upstream also refuses projected clusterTrustBundle sources; stowage serves no ClusterTrustBundles)
  if ((pod.spec.volumes ?? []).some((v) => v.persistentVolumeClaim))
    throw refuse(attrs, `node ${q} can not create pods that reference persistentvolumeclaims`);
}

function admitPodStatus(node: string, attrs: AdmissionAttributes): void {
  if (attrs.operation !== "UPDATE") throw refuse(attrs, `unexpected operation ${goQuote(attrs.operation)}`);
  const old = attrs.old as Pod;
  if (old.spec.nodeName !== node)
    throw refuse(attrs, `node ${goQuote(node)} can only update pod status for pods with spec.nodeName set to itself`);
  if (!deepEqual(old.metadata.labels ?? {}, attrs.object?.metadata.labels ?? {}))
    throw refuse(attrs, `node ${goQuote(node)} cannot update labels through pod status`);
}

async function admitEviction(node: string, attrs: AdmissionAttributes, reader: ObjectReader): Promise<void> {
  if (attrs.operation !== "CREATE") throw refuse(attrs, `unexpected operation ${attrs.operation}`);
  const name = attrs.name || attrs.object?.metadata.name;
  if (!name) throw refuse(attrs, "could not determine pod from request data");
  const pod = (await reader.get("", "pods", attrs.namespace, name)) as Pod | undefined;
  if (!pod) throw notFound({ group: "", resource: "pods" }, name);
  if (pod.spec.nodeName !== node)
    throw refuse(attrs, `node ${node} can only evict pods with spec.nodeName set to itself`);
}

/** The fields of a claim's status a node may write (upstream's, with RecoverVolumeExpansionFailure on as in 1.32). */
const nodeWritableClaimStatus = ["capacity", "conditions", "allocatedResources", "allocatedResourceStatuses"] as const;

function admitClaimStatus(node: string, attrs: AdmissionAttributes): void {
  if (attrs.operation !== "UPDATE") throw refuse(attrs, `unexpected operation ${goQuote(attrs.operation)}`);
  const strip = (claim: KubeObject | undefined) => {
    const copy = structuredClone(claim) as PersistentVolumeClaim;
    delete copy.metadata.resourceVersion;
    delete copy.metadata.managedFields;
    if (copy.status) for (const field of nodeWritableClaimStatus) delete copy.status[field];
    return copy;
  };
  const [old, next] = [strip(attrs.old), strip(attrs.object)];
  if (deepEqual(old, next)) return;
  // upstream appends a Go cmp.Diff of the two claims; the top-level fields that differ say the same here
  const changed = ["metadata", "spec", "status"].filter(
    (key) => !deepEqual(old[key as keyof PersistentVolumeClaim], next[key as keyof PersistentVolumeClaim]),
  );
  throw refuse(
    attrs,
    `node ${goQuote(node)} is not allowed to update fields other than status.capacity and status.conditions: ${changed.join(", ")}`,
  );
}

function admitNode(node: string, attrs: AdmissionAttributes): void {
  if (attrs.name !== node)
    throw refuse(attrs, `node ${goQuote(node)} is not allowed to modify node ${goQuote(attrs.name)}`);
  // (upstream also guards spec.configSource, a field stowage's Node does not carry)
  const object = attrs.object as Node | undefined;
  if (attrs.operation === "CREATE" && object) {
    const labels = forbiddenNodeLabels(object.metadata.labels, undefined);
    if (labels.length)
      throw refuse(attrs, `node ${goQuote(node)} is not allowed to set the following labels: ${labels.join(", ")}`);
  }
  if (attrs.operation === "UPDATE" && object) {
    const old = attrs.old as Node;
    // its taints keep workloads away from it: a node that could lift them could draw in what it must not run
    if (!deepEqual(object.spec?.taints ?? [], old.spec?.taints ?? []))
      throw refuse(attrs, `node ${goQuote(node)} is not allowed to modify taints`);
    const labels = forbiddenNodeLabels(object.metadata.labels, old.metadata.labels);
    if (labels.length) throw refuse(attrs, `is not allowed to modify labels: ${labels.join(", ")}`);
  }
}

const admitServiceAccount: Admit = async (node, attrs, reader) => {
  if (attrs.operation !== "CREATE" || attrs.subresource !== "token") return;
  const ref = (attrs.object as KubeObject & { spec?: { boundObjectRef?: BoundObjectRef } }).spec?.boundObjectRef;
  if (!ref || ref.apiVersion !== "v1" || ref.kind !== "Pod" || !ref.name)
    throw refuse(attrs, "node requested token not bound to a pod");
  if (!ref.uid) throw refuse(attrs, "node requested token with a pod binding without a uid");
  const pod = (await reader.get("", "pods", attrs.namespace, ref.name)) as Pod | undefined;
  if (!pod) throw notFound({ group: "", resource: "pods" }, ref.name);
  if (ref.uid !== pod.metadata.uid)
    throw refuse(
      attrs,
      `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
    );
  if (pod.spec.nodeName !== node)
    throw refuse(attrs, "node requested token bound to a pod scheduled on a different node");
};

/** A TokenRequest's spec.boundObjectRef (authentication.k8s.io/v1). */
interface BoundObjectRef {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
}

/** Its own Lease in kube-node-lease, and its own CSINode: the name is the node's. */
function ownNamed(what: string): Admit {
  return (node, attrs) => {
    const name = attrs.operation === "CREATE" ? attrs.object?.metadata.name : attrs.name;
    if (name !== node) throw refuse(attrs, `can only access ${what} with the same name as the requesting node`);
  };
}

const admitLease: Admit = (node, attrs, reader) => {
  if (attrs.namespace !== nodeLeaseNamespace)
    throw refuse(attrs, `can only access leases in the ${goQuote(nodeLeaseNamespace)} system namespace`);
  return ownNamed("node lease")(node, attrs, reader);
};

const admitters: Record<string, Admit> = {
  "/pods": admitPod,
  "/nodes": admitNode,
  "/persistentvolumeclaims": (node, attrs) => {
    if (attrs.subresource !== "status") throw refuse(attrs, "may only update PVC status");
    admitClaimStatus(node, attrs);
  },
  "/serviceaccounts": admitServiceAccount,
  "coordination.k8s.io/leases": admitLease,
  "storage.k8s.io/csinodes": ownNamed("CSINode"),
};

export const nodeRestriction: AdmissionPlugin = {
  name: "NodeRestriction",
  async admit(attrs, reader) {
    const node = attrs.user && nodeIdentity(attrs.user);
    if (node === undefined) return; // not a node: nothing to narrow
    if (!node) throw refuse(attrs, `could not determine node from user ${goQuote(attrs.user?.name ?? "")}`);
    await admitters[`${attrs.def.group}/${attrs.def.plural}`]?.(node, attrs, reader);
  },
};
