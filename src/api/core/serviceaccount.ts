// core/v1 ServiceAccount: the identity a pod's processes authenticate as. Validation and table as upstream
// (ValidateServiceAccount, printServiceAccount: NAME SECRETS AGE). Tokens come from its token subresource.
import type { ResourceDefinition } from "../resource.js";
import { ageColumn, column, nameColumn, translateTimestampSince } from "../table.js";
import { validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import type { KubeObject } from "../meta.js";

export interface ServiceAccount extends KubeObject {
  secrets?: { name?: string; namespace?: string }[];
  imagePullSecrets?: { name?: string }[];
  automountServiceAccountToken?: boolean;
}

export const serviceAccounts: ResourceDefinition<ServiceAccount> = {
  group: "",
  version: "v1",
  kind: "ServiceAccount",
  listKind: "ServiceAccountList",
  plural: "serviceaccounts",
  singular: "serviceaccount",
  shortNames: ["sa"],
  namespaced: true,
  hasStatus: false,
  verbs: standardVerbs,
  applyDefaults() {},
  validateCreate: (account) => validateObjectMeta(account.metadata, true, nameIsDNSSubdomain),
  validateUpdate: (account, old) => [
    ...validateObjectMetaUpdate(account.metadata, old.metadata),
    ...validateObjectMeta(account.metadata, true, nameIsDNSSubdomain),
  ],
  bumpsGeneration: () => false,
  table: {
    columns: [
      nameColumn,
      column(
        "Secrets",
        "string",
        "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.",
      ),
      ageColumn,
    ],
    row: (account, now) => [
      account.metadata.name,
      account.secrets?.length ?? 0,
      translateTimestampSince(account.metadata.creationTimestamp, now),
    ],
  },
};
