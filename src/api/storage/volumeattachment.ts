// storage.k8s.io/v1 VolumeAttachment: validation and table as upstream (pkg/apis/storage/validation, printVolumeAttachment).
import { FieldPath, forbidden, invalid, required } from "../field.js";
import type { FieldError } from "../field.js";
import { validatePersistentVolumeSpec } from "../core/persistentvolume.js";
import { validateCSIDriverName } from "../core/validate-volumes.js";
import type { ResourceDefinition } from "../resource.js";
import { ageColumn, column, nameColumn, translateTimestampSince } from "../table.js";
import { deepEqual, validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import type { VolumeAttachment } from "./types.js";

const maxAttachedVolumeMetadataSize = 256 * (1 << 10);
const maxVolumeErrorMessageSize = 1024;

function validateVolumeError(error: { message?: string } | undefined, path: FieldPath): FieldError[] {
  if (!error?.message || error.message.length <= maxVolumeErrorMessageSize) return [];
  return [
    {
      type: "FieldValueTooLong",
      field: String(path.child("message")),
      badValue: "<value omitted>",
      detail: `may not be more than ${maxVolumeErrorMessageSize} bytes`,
    },
  ];
}

function validateVolumeAttachment(attachment: VolumeAttachment): FieldError[] {
  const errs = validateObjectMeta(attachment.metadata, false, nameIsDNSSubdomain);
  const spec = attachment.spec ?? ({} as VolumeAttachment["spec"]);
  const specPath = FieldPath.root("spec");
  if (!spec.attacher) errs.push(required(specPath.child("attacher")));
  const source = spec.source ?? {};
  const sourcePath = specPath.child("source");
  if (source.inlineVolumeSpec === undefined && source.persistentVolumeName === undefined) {
    errs.push(required(sourcePath, "must specify exactly one of inlineVolumeSpec and persistentVolumeName"));
  } else if (source.inlineVolumeSpec !== undefined && source.persistentVolumeName !== undefined) {
    errs.push(forbidden(sourcePath, "must specify exactly one of inlineVolumeSpec and persistentVolumeName"));
  } else if (source.persistentVolumeName !== undefined) {
    if (!source.persistentVolumeName) {
      errs.push(required(sourcePath.child("persistentVolumeName"), "must specify non empty persistentVolumeName"));
    }
  } else if (source.inlineVolumeSpec) {
    errs.push(...validatePersistentVolumeSpec(source.inlineVolumeSpec, sourcePath.child("inlineVolumeSpec")));
  }
  for (const msg of nameIsDNSSubdomain(spec.nodeName ?? "", false)) {
    errs.push(invalid(specPath.child("nodeName"), spec.nodeName ?? "", msg));
  }
  const status = attachment.status;
  if (status) {
    let size = 0;
    for (const [k, v] of Object.entries(status.attachmentMetadata ?? {})) size += k.length + String(v).length;
    if (size > maxAttachedVolumeMetadataSize) {
      errs.push({
        type: "FieldValueTooLong",
        field: "status.attachmentMetadata",
        badValue: "<value omitted>",
        detail: `may not be more than ${maxAttachedVolumeMetadataSize} bytes`,
      });
    }
    errs.push(...validateVolumeError(status.attachError, FieldPath.root("status", "attachError")));
    errs.push(...validateVolumeError(status.detachError, FieldPath.root("status", "detachError")));
  }
  // the v1-only checks: the attacher is a CSI driver name and the PV name a valid name
  errs.push(
    ...validateCSIDriverName(spec.attacher, FieldPath.root("spec.attacher")).filter(
      (e) => e.type !== "FieldValueRequired",
    ),
  );
  if (source.persistentVolumeName) {
    for (const msg of nameIsDNSSubdomain(source.persistentVolumeName, false)) {
      errs.push(invalid("spec.source.persistentVolumeName", source.persistentVolumeName, msg));
    }
  }
  return errs;
}

export const volumeAttachments: ResourceDefinition<VolumeAttachment> = {
  group: "storage.k8s.io",
  version: "v1",
  kind: "VolumeAttachment",
  listKind: "VolumeAttachmentList",
  plural: "volumeattachments",
  singular: "volumeattachment",
  shortNames: [],
  namespaced: false,
  hasStatus: true,
  verbs: standardVerbs,
  applyDefaults() {},
  prepareForCreate(attachment) {
    delete attachment.status;
  },
  validateCreate: validateVolumeAttachment,
  validateUpdate(attachment, old) {
    const errs = [
      ...validateObjectMetaUpdate(attachment.metadata, old.metadata),
      ...validateVolumeAttachment(attachment),
    ];
    // the spec is read-only once created
    if (!deepEqual(attachment.spec, old.spec))
      errs.push(invalid(FieldPath.root("spec"), attachment.spec, "field is immutable"));
    return errs;
  },
  validateStatusUpdate: (attachment, old) => [
    ...validateObjectMetaUpdate(attachment.metadata, old.metadata),
    ...validateVolumeAttachment(attachment),
  ],
  table: {
    columns: [
      nameColumn,
      {
        ...column(
          "Attacher",
          "string",
          "attacher indicates the name of the volume driver that MUST handle this request.",
        ),
        format: "name",
      },
      column("PV", "string", "persistentVolumeName represents the name of the persistent volume to attach."),
      column("Node", "string", "nodeName represents the node that the volume should be attached to."),
      column("Attached", "boolean", "attached indicates the volume is successfully attached."),
      ageColumn,
    ],
    row: (attachment, now) => [
      attachment.metadata.name,
      attachment.spec?.attacher ?? "",
      attachment.spec?.source?.persistentVolumeName ?? "",
      attachment.spec?.nodeName ?? "",
      attachment.status?.attached ?? false,
      translateTimestampSince(attachment.metadata.creationTimestamp, now),
    ],
  },
};
