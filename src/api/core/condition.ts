// The status of every core/v1 condition (Namespace, PersistentVolumeClaim, Pod, Node), in its own file so that
// the files of core/v1's types can share it without importing each other.
export type ConditionStatus = "True" | "False" | "Unknown";
