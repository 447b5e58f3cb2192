// configMap and secret volumes (pkg/volume/configmap, pkg/volume/secret): the object's keys as files, written by
// the atomic writer, rewritten when the object changes. `items` pick keys and paths; modes default to
// defaultMode (0644); a missing object or key is an error unless `optional`.
import { podFSGroup, setVolumeOwnership } from "./ownership.js";
import type { ConfigMap, KeyToPath, Pod, Secret } from "../../api/core/types.js";
import { pluginNames } from "../paths.js";
import type { MountedVolume } from "../volumemanager/actual.js";
import type { DesiredVolume } from "../volumemanager/desired.js";
import { writeAtomically, type Payload } from "./atomicwriter.js";
import { setUpAt, VolumeOperationError, type PluginContext } from "./context.js";
import { memoryBackedDir, tearDownEmptyDir } from "./emptydir.js";
import type { VolumePlugin } from "./plugin.js";

type ObjectVolume = Extract<DesiredVolume, { kind: "configMap" | "secret" }>;

export const defaultMode = 0o644;

export interface Source {
  kind: "configmap" | "secret";
  name: string;
  optional: boolean;
  items?: KeyToPath[];
  defaultMode: number;
  object?: ConfigMap | Secret;
  /** key → bytes */
  data: Map<string, Buffer>;
}

type SourceRef = { name?: string; optional?: boolean; items?: KeyToPath[] };

const objectSource = (
  kind: Source["kind"],
  ref: SourceRef,
  mode: number,
  object: ConfigMap | Secret | undefined,
  data: Map<string, Buffer>,
): Source => ({
  kind,
  name: ref.name ?? "",
  optional: ref.optional ?? false,
  items: ref.items,
  defaultMode: mode,
  object,
  data,
});

/** A configMap's keys: data as UTF-8 text, binaryData decoded from base64. */
export function configMapSource(ctx: PluginContext, namespace: string, ref: SourceRef, mode: number): Source {
  const object = ctx.configMaps.get(`${namespace}/${ref.name ?? ""}`);
  const data = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(object?.data ?? {})) data.set(k, Buffer.from(v, "utf8"));
  for (const [k, v] of Object.entries(object?.binaryData ?? {})) data.set(k, Buffer.from(v, "base64"));
  return objectSource("configmap", ref, mode, object, data);
}

/** A secret's keys, decoded from base64. */
export function secretSource(ctx: PluginContext, namespace: string, ref: SourceRef, mode: number): Source {
  const object = ctx.secrets.get(`${namespace}/${ref.name ?? ""}`);
  const data = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(object?.data ?? {})) data.set(k, Buffer.from(v, "base64"));
  return objectSource("secret", ref, mode, object, data);
}

/**
 * Waits until the caches have heard from the API about these objects (their watches listed), so that a missing
 * object is reported only when it is missing, not while its watch is starting.
 */
export async function sourcesReady(
  ctx: PluginContext,
  namespace: string,
  refs: { configMaps?: string[]; secrets?: string[] },
): Promise<void> {
  await Promise.all([
    ...(refs.configMaps ?? []).map((name) => ctx.configMaps.ready?.(`${namespace}/${name}`)),
    ...(refs.secrets ?? []).map((name) => ctx.secrets.ready?.(`${namespace}/${name}`)),
  ]);
}

function sourceOf(ctx: PluginContext, volume: ObjectVolume): Source {
  const mode = volume.source.defaultMode ?? defaultMode;
  return volume.kind === "configMap"
    ? configMapSource(ctx, volume.namespace, volume.source, mode)
    : secretSource(ctx, volume.namespace, { ...volume.source, name: volume.source.secretName }, mode);
}

/** The version a mounted volume was written from: the object's resourceVersion, or "absent". */
export function sourceVersion(ctx: PluginContext, volume: ObjectVolume): string {
  return sourceOf(ctx, volume).object?.metadata.resourceVersion ?? "absent";
}

/** MakePayload as upstream: every key, or exactly `items` (a missing key fails unless optional). */
export function makePayload(source: Source): Payload {
  const payload: Payload = new Map();
  if (!source.items?.length) {
    for (const [key, data] of source.data) payload.set(key, { data, mode: source.defaultMode });
    return payload;
  }
  for (const item of source.items) {
    const data = source.data.get(item.key);
    if (!data) {
      if (source.optional) continue;
      throw new Error(
        source.kind === "configmap"
          ? `configmap references non-existent config key: ${item.key}`
          : `references non-existent secret key: ${item.key}`,
      );
    }
    payload.set(item.path, { data, mode: item.mode ?? source.defaultMode });
  }
  return payload;
}

/** A missing object is an error unless the volume (or projection) is optional, worded as upstream. */
export function requireSource(source: Source): void {
  if (!source.object && !source.optional) {
    throw new Error(
      source.kind === "configmap" ? `configmap "${source.name}" not found` : `secret "${source.name}" not found`,
    );
  }
}

export async function setUpObjectVolume(
  ctx: PluginContext,
  volume: ObjectVolume,
  pod: Pod,
  key: string,
): Promise<MountedVolume> {
  const dir = ctx.paths.podVolumeDir(volume.podUid, volume.plugin, volume.innerName);
  let source: Source;
  try {
    await sourcesReady(
      ctx,
      volume.namespace,
      volume.kind === "configMap"
        ? { configMaps: [volume.source.name ?? ""] }
        : { secrets: [volume.source.secretName ?? ""] },
    );
    source = sourceOf(ctx, volume);
    requireSource(source);
    // a secret's keys only ever on a tmpfs, as the kubelet keeps them; a configMap on disk
    if (volume.kind === "secret") await memoryBackedDir(dir);
    await writeAtomically(dir, makePayload(source));
    // Read-only files for the pod's fsGroup (group read, directories group search and setgid), after every write.
    await setVolumeOwnership(dir, podFSGroup(pod).fsGroup, undefined, true);
  } catch (err) {
    throw new VolumeOperationError("MountVolume.SetUp", volume.innerName, (err as Error).message);
  }
  return setUpAt(volume, key, dir, { sourceVersion: source.object?.metadata.resourceVersion ?? "absent" });
}

/** configMap and secret: written files, rewritten when the object changes, removed like an emptyDir (upstream wraps one). */
const objectPlugin = (name: string): VolumePlugin<ObjectVolume> => ({
  name,
  setUp: (ctx, volume, pod, key) => setUpObjectVolume(ctx, volume, pod, key),
  tearDown: (_ctx, mounted) => tearDownEmptyDir(mounted),
  sourceVersion,
});
export const configMapPlugin = objectPlugin(pluginNames.configMap);
export const secretPlugin = objectPlugin(pluginNames.secret);
