// The ServiceAccount admission plugin (plugin/pkg/admission/serviceaccount), the part stowage runs: a new pod that
// names no ServiceAccount runs as its namespace's "default" one, so the node agent can request tokens for it and
// the Node authorizer can follow the pod to its ServiceAccount. Mirror pods are left alone, as upstream.
// Not done (yet): refusing a pod whose ServiceAccount does not exist, and adding the kube-api-access-* projected
// token volume to pods that do not opt out with automountServiceAccountToken: false.
import type { Pod } from "../../api/core/types.js";
import type { AdmissionPlugin } from "./types.js";

export const DefaultServiceAccountName = "default";
/** kubelettypes.ConfigMirrorAnnotationKey: pods the kubelet mirrors from static manifests. */
const mirrorPodAnnotation = "kubernetes.io/config.mirror";

export const serviceAccountAdmission: AdmissionPlugin = {
  name: "ServiceAccount",
  async admit(attrs) {
    if (attrs.operation !== "CREATE" || attrs.subresource || !attrs.object) return;
    if (attrs.def.group !== "" || attrs.def.plural !== "pods") return;
    const pod = attrs.object as Pod;
    if (pod.metadata.annotations?.[mirrorPodAnnotation] !== undefined) return;
    pod.spec ??= { containers: [] };
    // v1's deprecated spec.serviceAccount names it too when serviceAccountName is empty (conversion), and always
    // mirrors it on the way out.
    pod.spec.serviceAccountName ||= pod.spec.serviceAccount || DefaultServiceAccountName;
    pod.spec.serviceAccount = pod.spec.serviceAccountName;
  },
};
