// Which Node labels a node may set on itself, as upstream's NodeRestriction with k8s.io/kubelet's well-known labels:
// never node-restriction.kubernetes.io/ (labels an admin sets to steer workloads to trusted nodes), and of the
// kubernetes.io and k8s.io namespaces only what the kubelet itself sets. Anything else (example.com/rack) is its own.

/** The labels a kubelet sets on its own Node (kubeletapis.KubeletLabels). */
const kubeletLabels = new Set([
  "kubernetes.io/hostname",
  "topology.kubernetes.io/zone",
  "topology.kubernetes.io/region",
  "failure-domain.beta.kubernetes.io/zone",
  "failure-domain.beta.kubernetes.io/region",
  "beta.kubernetes.io/instance-type",
  "node.kubernetes.io/instance-type",
  "kubernetes.io/os",
  "kubernetes.io/arch",
  "beta.kubernetes.io/os",
  "beta.kubernetes.io/arch",
]);
/** Label namespaces a kubelet may use freely (kubeletapis.KubeletLabelNamespaces). */
const kubeletNamespaces = ["kubelet.kubernetes.io", "node.kubernetes.io"];
const nodeRestrictionNamespace = "node-restriction.kubernetes.io";

const labelNamespace = (key: string) => (key.includes("/") ? key.slice(0, key.indexOf("/")) : "");
const inNamespace = (namespace: string, domain: string) => namespace === domain || namespace.endsWith(`.${domain}`);

function isKubeletLabel(key: string): boolean {
  if (kubeletLabels.has(key)) return true;
  const namespace = labelNamespace(key);
  return kubeletNamespaces.some((domain) => inNamespace(namespace, domain));
}

const isKubernetesLabel = (key: string) =>
  inNamespace(labelNamespace(key), "kubernetes.io") || inNamespace(labelNamespace(key), "k8s.io");

/** Keys added, removed or changed between two label sets. */
function modifiedLabels(next: Record<string, string> = {}, old: Record<string, string> = {}): string[] {
  const keys = new Set([...Object.keys(next), ...Object.keys(old)]);
  return [...keys].filter((key) => next[key] !== old[key]);
}

/** The labels among those changed that a node may not set, add or remove on itself; sorted as upstream lists them. */
export function forbiddenNodeLabels(
  next: Record<string, string> | undefined,
  old: Record<string, string> | undefined,
): string[] {
  return modifiedLabels(next, old)
    .filter(
      (key) =>
        inNamespace(labelNamespace(key), nodeRestrictionNamespace) || (isKubernetesLabel(key) && !isKubeletLabel(key)),
    )
    .sort();
}
