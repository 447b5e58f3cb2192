// Cache objects are shared by every handler and lister of an informer: freezing them turns an accidental
// in-place edit (which would silently corrupt every other reader's view) into a TypeError at the culprit.
// Callers copy (structuredClone) before changing anything.

export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  return Object.freeze(value);
}
