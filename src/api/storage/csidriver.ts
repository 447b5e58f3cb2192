// storage.k8s.io/v1 CSIDriver: defaults, validation and table as upstream (pkg/apis/storage).
import { FieldPath, duplicate, invalid, notSupported, required } from "../field.js";
import type { FieldError } from "../field.js";
import { validateCSIDriverName } from "../core/validate-volumes.js";
import type { ResourceDefinition } from "../resource.js";
import { ageColumn, column, nameColumn, translateTimestampSince } from "../table.js";
import { validateImmutableField, validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { standardVerbs } from "../verbs.js";
import type { CSIDriver } from "./types.js";

const fsGroupPolicies = ["File", "None", "ReadWriteOnceWithFSType"];
const lifecycleModes = ["Ephemeral", "Persistent"];

export function defaultCSIDriver(driver: CSIDriver): void {
  const spec = (driver.spec ??= {});
  spec.attachRequired ??= true;
  spec.podInfoOnMount ??= false;
  spec.storageCapacity ??= false;
  spec.fsGroupPolicy ??= "ReadWriteOnceWithFSType";
  if (!spec.volumeLifecycleModes?.length) spec.volumeLifecycleModes = ["Persistent"];
  spec.requiresRepublish ??= false;
  spec.seLinuxMount ??= false;
}

function validateCSIDriver(driver: CSIDriver): FieldError[] {
  // upstream validates the driver's name at the path "name", with the CSI driver-name rule
  const errs = validateObjectMeta(driver.metadata, false, () => []);
  errs.push(...validateCSIDriverName(driver.metadata.name, FieldPath.root("name")));
  const path = FieldPath.root("spec");
  const spec = driver.spec ?? {};
  for (const key of [
    "attachRequired",
    "podInfoOnMount",
    "storageCapacity",
    "requiresRepublish",
    "seLinuxMount",
  ] as const) {
    if (spec[key] === undefined) errs.push(required(path.child(key)));
  }
  if (spec.fsGroupPolicy !== undefined && !fsGroupPolicies.includes(spec.fsGroupPolicy)) {
    errs.push(notSupported(path.child("fsGroupPolicy"), spec.fsGroupPolicy, fsGroupPolicies));
  }
  for (const mode of spec.volumeLifecycleModes ?? []) {
    if (!lifecycleModes.includes(mode))
      errs.push(notSupported(path.child("volumeLifecycleModes"), mode, lifecycleModes));
  }
  const audiences = new Set<string>();
  (spec.tokenRequests ?? []).forEach((token, i) => {
    const tokenPath = path.child("tokenRequests").index(i);
    if (audiences.has(token.audience)) errs.push(duplicate(tokenPath.child("audience"), token.audience));
    audiences.add(token.audience);
    if (token.expirationSeconds !== undefined && token.expirationSeconds < 600) {
      errs.push(
        invalid(
          tokenPath.child("expirationSeconds"),
          token.expirationSeconds,
          "may not specify a duration less than 10 minutes",
        ),
      );
    }
  });
  return errs;
}

export const csiDrivers: ResourceDefinition<CSIDriver> = {
  group: "storage.k8s.io",
  version: "v1",
  kind: "CSIDriver",
  listKind: "CSIDriverList",
  plural: "csidrivers",
  singular: "csidriver",
  shortNames: [],
  namespaced: false,
  hasStatus: false,
  verbs: standardVerbs,
  applyDefaults: defaultCSIDriver,
  validateCreate: validateCSIDriver,
  validateUpdate(driver, old) {
    const errs = [...validateObjectMetaUpdate(driver.metadata, old.metadata), ...validateCSIDriver(driver)];
    // "attachedRequired" is upstream's spelling of this path
    errs.push(
      ...validateImmutableField(
        driver.spec?.attachRequired,
        old.spec?.attachRequired,
        FieldPath.root("spec", "attachedRequired"),
      ),
    );
    errs.push(
      ...validateImmutableField(
        driver.spec?.fsGroupPolicy,
        old.spec?.fsGroupPolicy,
        FieldPath.root("spec", "fsGroupPolicy"),
      ),
    );
    errs.push(
      ...validateImmutableField(
        driver.spec?.volumeLifecycleModes,
        old.spec?.volumeLifecycleModes,
        FieldPath.root("spec", "volumeLifecycleModes"),
      ),
    );
    return errs;
  },
  table: {
    columns: [
      nameColumn,
      column(
        "AttachRequired",
        "boolean",
        "attachRequired indicates this CSI volume driver requires an attach operation.",
      ),
      column(
        "PodInfoOnMount",
        "boolean",
        "podInfoOnMount indicates this CSI volume driver requires additional pod information during mount operations.",
      ),
      column(
        "StorageCapacity",
        "boolean",
        "storageCapacity indicates that the CSI volume driver wants pod scheduling to consider the storage capacity.",
      ),
      column(
        "TokenRequests",
        "string",
        "tokenRequests indicates the CSI driver needs pods' service account tokens it is mounting volume for to do necessary authentication.",
      ),
      column(
        "RequiresRepublish",
        "boolean",
        "requiresRepublish indicates the CSI driver wants `NodePublishVolume` being periodically called to reflect any possible change in the mounted volume.",
      ),
      column("Modes", "string", "volumeLifecycleModes defines what kind of volumes this CSI volume driver supports."),
      ageColumn,
    ],
    row: (driver, now) => [
      driver.metadata.name,
      driver.spec?.attachRequired ?? true,
      driver.spec?.podInfoOnMount ?? false,
      driver.spec?.storageCapacity ?? false,
      driver.spec?.tokenRequests ? driver.spec.tokenRequests.map((t) => t.audience).join(",") : "<unset>",
      driver.spec?.requiresRepublish ?? false,
      (driver.spec?.volumeLifecycleModes ?? []).join(",") || "<none>",
      translateTimestampSince(driver.metadata.creationTimestamp, now),
    ],
  },
};
