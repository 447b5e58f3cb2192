// The PodSecurity admission plugin (upstream's, on by default): a pod created in a namespace labelled
// pod-security.kubernetes.io/enforce=<level> must meet that level of the Pod Security Standards, or it is refused
// with upstream's Forbidden message. The warn and audit modes are not surfaced yet (no Warning header from
// admission); a namespace without labels is privileged, so nothing changes for it.
import type { Pod } from "../../../api/core/types.js";
import { StatusError } from "../../errors.js";
import type { AdmissionPlugin } from "../types.js";
import { namespacePolicy, podSecurity } from "./policy.js";

export const podSecurityAdmission: AdmissionPlugin = {
  name: "PodSecurity",
  async validate(attrs, reader) {
    const { def, operation, subresource, namespace, object } = attrs;
    if (operation !== "CREATE" || def.group !== "" || def.plural !== "pods" || subresource || !namespace || !object) {
      return;
    }
    const labels = (await reader.get("", "namespaces", undefined, namespace))?.metadata.labels;
    const decision = podSecurity(namespacePolicy(labels), object as Pod);
    if (decision.forbidden) {
      throw new StatusError(403, "Forbidden", `pods "${attrs.name}" is forbidden: ${decision.forbidden}`, {
        name: attrs.name,
        kind: "pods",
      });
    }
  },
};
