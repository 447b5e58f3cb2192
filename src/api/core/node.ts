// core/v1 Node: defaults, validation, table and field selectors as upstream (pkg/registry/core/node, printNode).
import { FieldPath, invalid, notSupported, required } from "../field.js";
import type { FieldError } from "../field.js";
import type { ResourceDefinition } from "../resource.js";
import { ageColumn, column, nameColumn, translateTimestampSince } from "../table.js";
import { validateLabelName, validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import type { Node } from "./types.js";
import { parseQuantityField } from "./validate-volumes.js";

const taintEffects = ["NoExecute", "NoSchedule", "PreferNoSchedule"];

function validateNode(node: Node): FieldError[] {
  const errs = validateObjectMeta(node.metadata, false, nameIsDNSSubdomain);
  (node.spec?.taints ?? []).forEach((taint, i) => {
    const path = FieldPath.root("spec", "taints").index(i);
    errs.push(...validateLabelName(taint.key, path.child("key")));
    if (!taint.effect) errs.push(required(path.child("effect")));
    else if (!taintEffects.includes(taint.effect))
      errs.push(notSupported(path.child("effect"), taint.effect, taintEffects));
  });
  for (const field of ["capacity", "allocatable"] as const) {
    for (const [name, value] of Object.entries(node.status?.[field] ?? {})) {
      const q = parseQuantityField(value, FieldPath.root("status", field).key(name), errs);
      if (q && q.sign() < 0)
        errs.push(invalid(FieldPath.root("status", field).key(name), value, "must be greater than or equal to 0"));
    }
  }
  return errs;
}

/** printNode's STATUS: Ready / NotReady / Unknown, plus SchedulingDisabled when cordoned. */
export function nodeStatusText(node: Node): string {
  const ready = (node.status?.conditions ?? []).find((c) => c.type === "Ready");
  const status: string[] = [];
  if (ready) status.push(ready.status === "True" ? "Ready" : "NotReady");
  if (status.length === 0) status.push("Unknown");
  if (node.spec?.unschedulable) status.push("SchedulingDisabled");
  return status.join(",");
}

function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata.labels ?? {})) {
    if (key.startsWith("node-role.kubernetes.io/")) {
      const role = key.slice("node-role.kubernetes.io/".length);
      if (role) roles.add(role);
    } else if (key === "kubernetes.io/role" && value) roles.add(value);
  }
  return [...roles].sort().join(",") || "<none>";
}

const address = (node: Node, type: string): string =>
  (node.status?.addresses ?? []).find((a) => a.type === type)?.address ?? "<none>";

export const nodes: ResourceDefinition<Node> = {
  group: "",
  version: "v1",
  kind: "Node",
  listKind: "NodeList",
  plural: "nodes",
  singular: "node",
  shortNames: ["no"],
  namespaced: false,
  hasStatus: true,
  verbs: standardVerbs,
  applyDefaults(node) {
    // upstream: allocatable defaults to capacity
    if (node.status?.capacity && !node.status.allocatable) node.status.allocatable = { ...node.status.capacity };
  },
  validateCreate: validateNode,
  validateUpdate: (node, old) => [...validateObjectMetaUpdate(node.metadata, old.metadata), ...validateNode(node)],
  validateStatusUpdate: (node, old) => [
    ...validateObjectMetaUpdate(node.metadata, old.metadata),
    ...validateNode(node),
  ],
  table: {
    columns: [
      nameColumn,
      column("Status", "string", "The status of the node"),
      column("Roles", "string", "The roles of the node"),
      ageColumn,
      column("Version", "string", "Kubelet Version reported by the node."),
      column("Internal-IP", "string", "List of addresses reachable to the node.", 1),
      column("External-IP", "string", "List of addresses reachable to the node.", 1),
      column(
        "OS-Image",
        "string",
        "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
        1,
      ),
      column(
        "Kernel-Version",
        "string",
        "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
        1,
      ),
      column(
        "Container-Runtime",
        "string",
        "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
        1,
      ),
    ],
    row: (node, now) => [
      node.metadata.name,
      nodeStatusText(node),
      nodeRoles(node),
      translateTimestampSince(node.metadata.creationTimestamp, now),
      node.status?.nodeInfo?.kubeletVersion ?? "",
      address(node, "InternalIP"),
      address(node, "ExternalIP"),
      node.status?.nodeInfo?.osImage || "<unknown>",
      node.status?.nodeInfo?.kernelVersion || "<unknown>",
      node.status?.nodeInfo?.containerRuntimeVersion || "<unknown>",
    ],
  },
  selectableFields: (node) => ({ "spec.unschedulable": String(node.spec?.unschedulable ?? false) }),
};
