// backup.stowage.dev/v1: Velero's velero.io/v1 BackupStorageLocation, Backup, Restore and Schedule, with Velero's
// field names and phases (vmware-tanzu/velero pkg/apis/velero/v1) where Velero has them. A location is a restic
// repository (a directory, or any restic repository URL) instead of an object-store bucket and plugin.
import type { KubeObject, LabelSelector } from "../meta.js";

/** A key of a Secret in the object's namespace (Velero's credential: corev1.SecretKeySelector). */
export interface SecretKeySelector {
  name: string;
  key: string;
}

export interface BackupStorageLocationSpec {
  /** Always "restic" here: the data mover that writes to the location. */
  provider: string;
  objectStorage: {
    /** The restic repository: an absolute directory (local or NFS) or a restic URL (sftp:, s3:, rest:, …). */
    bucket: string;
    /** A sub-path of the repository's directory for this stowage's backup manifests; default none. */
    prefix?: string;
  };
  /** The restic repository's password. */
  credential: SecretKeySelector;
  default?: boolean;
  accessMode?: "ReadWrite" | "ReadOnly";
}

export interface BackupStorageLocationStatus {
  phase?: "Available" | "Unavailable";
  lastValidationTime?: string;
  message?: string;
}

export interface BackupStorageLocation extends KubeObject {
  apiVersion: "backup.stowage.dev/v1";
  kind: "BackupStorageLocation";
  spec: BackupStorageLocationSpec;
  status?: BackupStorageLocationStatus;
}

export interface BackupSpec {
  includedNamespaces?: string[];
  excludedNamespaces?: string[];
  includedResources?: string[];
  excludedResources?: string[];
  labelSelector?: LabelSelector;
  /** Back up the claims' data (through a CSI snapshot and restic); default true. */
  snapshotVolumes?: boolean;
  /** How long the backup is kept, as a Go duration ("720h0m0s"); default 720h. */
  ttl?: string;
  storageLocation?: string;
  /** Commands run in pods before and after their claims are snapshotted (Velero's spec.hooks). */
  hooks?: BackupHooks;
}

/** A command run in a pod's container (Velero's ExecHook). */
export interface ExecHook {
  /** Default: the pod's first container. */
  container?: string;
  command: string[];
  /** Fail (default): the backup fails; Continue: it goes on, counted in status.hookStatus.hooksFailed. */
  onError?: "Continue" | "Fail";
  /** A Go duration; default 30s. A command still running then has failed. */
  timeout?: string;
}

export interface BackupResourceHook {
  exec: ExecHook;
}

/** Which pods a set of hooks is for, and the hooks (Velero's BackupResourceHookSpec). */
export interface BackupResourceHookSpec {
  name: string;
  includedNamespaces?: string[];
  excludedNamespaces?: string[];
  labelSelector?: LabelSelector;
  pre?: BackupResourceHook[];
  post?: BackupResourceHook[];
}

export interface BackupHooks {
  resources?: BackupResourceHookSpec[];
}

/** Velero's HookStatus, and where this backup is with its hooks (so a later pass runs none twice). */
export interface BackupHookStatus {
  hooksAttempted?: number;
  hooksFailed?: number;
  preHooksDone?: boolean;
  postHooksDone?: boolean;
}

export type BackupPhase =
  "New" | "FailedValidation" | "InProgress" | "Finalizing" | "Completed" | "PartiallyFailed" | "Failed" | "Deleting";

export interface BackupProgress {
  totalItems?: number;
  itemsBackedUp?: number;
  /** Volume bytes read and bytes the repository took (after deduplication and compression). */
  bytesDone?: number;
  bytesAdded?: number;
}

export interface BackupStatus {
  phase?: BackupPhase;
  validationErrors?: string[];
  startTimestamp?: string;
  completionTimestamp?: string;
  expiration?: string;
  progress?: BackupProgress;
  errors?: number;
  warnings?: number;
  failureReason?: string;
  hookStatus?: BackupHookStatus;
}

export interface Backup extends KubeObject {
  apiVersion: "backup.stowage.dev/v1";
  kind: "Backup";
  spec: BackupSpec;
  status?: BackupStatus;
}

export interface RestoreSpec {
  backupName?: string;
  scheduleName?: string;
  includedNamespaces?: string[];
  excludedNamespaces?: string[];
  /** Backed-up namespace → namespace to restore into. */
  namespaceMapping?: Record<string, string>;
  labelSelector?: LabelSelector;
  /** "none" (default): an object that exists is skipped; "update": it is replaced. */
  existingResourcePolicy?: "none" | "update";
  restorePVs?: boolean;
}

export type RestorePhase = "New" | "FailedValidation" | "InProgress" | "Completed" | "PartiallyFailed" | "Failed";

export interface RestoreItemResult {
  /** group/resource, e.g. "persistentvolumeclaims" or "apps/statefulsets". */
  resource: string;
  namespace?: string;
  name: string;
  /** Updated: it existed, differed, and existingResourcePolicy update patched it to the backed-up version. */
  result: "Created" | "Updated" | "Skipped" | "Failed";
  message?: string;
}

export interface RestoreStatus {
  phase?: RestorePhase;
  validationErrors?: string[];
  startTimestamp?: string;
  completionTimestamp?: string;
  progress?: { totalItems?: number; itemsRestored?: number; bytesDone?: number };
  errors?: number;
  warnings?: number;
  failureReason?: string;
  items?: RestoreItemResult[];
}

export interface Restore extends KubeObject {
  apiVersion: "backup.stowage.dev/v1";
  kind: "Restore";
  spec: RestoreSpec;
  status?: RestoreStatus;
}

export interface ScheduleSpec {
  /** A cron expression (five fields, or @every/@daily as Velero takes them). */
  schedule: string;
  template: BackupSpec;
  paused?: boolean;
  /** Velero's: the schedule owns its backups, so deleting it deletes them (the garbage collector's job). */
  useOwnerReferencesInBackup?: boolean;
}

export interface ScheduleStatus {
  phase?: "New" | "Enabled" | "FailedValidation";
  lastBackup?: string;
  validationErrors?: string[];
}

export interface Schedule extends KubeObject {
  apiVersion: "backup.stowage.dev/v1";
  kind: "Schedule";
  spec: ScheduleSpec;
  status?: ScheduleStatus;
}
