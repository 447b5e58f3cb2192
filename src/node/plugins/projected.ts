// downwardAPI and projected volumes (pkg/volume/downwardapi, pkg/volume/projected): the pod's own fields, and
// configMap/secret/downwardAPI projections merged into one directory, written by the atomic writer and rewritten
// when the pod or a projected object changes.
import type { DownwardAPIVolumeFile, Pod } from "../../api/core/types.js";
import { pluginNames } from "../paths.js";
import type { MountedVolume } from "../volumemanager/actual.js";
import type { DesiredVolume } from "../volumemanager/desired.js";
import { writeAtomically, type Payload } from "./atomicwriter.js";
import { configMapSource, defaultMode, makePayload, requireSource, secretSource, sourcesReady } from "./configmap.js";
import { setUpAt, VolumeOperationError, type PluginContext } from "./context.js";
import { tearDownEmptyDir } from "./emptydir.js";
import type { VolumePlugin } from "./plugin.js";

type FieldVolume = Extract<DesiredVolume, { kind: "downwardAPI" | "projected" }>;

/** fieldpath.ExtractFieldPathAsString: labels/annotations as sorted key="value" lines. */
function fieldValue(pod: Pod, path: string): string {
  const formatMap = (map: Record<string, string> | undefined) =>
    Object.keys(map ?? {})
      .sort()
      .map((k) => `${k}=${JSON.stringify(map?.[k] ?? "")}`)
      .join("\n");
  const subscript = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (subscript)
    return (subscript[1] === "labels" ? pod.metadata.labels : pod.metadata.annotations)?.[subscript[2]] ?? "";
  switch (path) {
    case "metadata.name":
      return pod.metadata.name ?? "";
    case "metadata.namespace":
      return pod.metadata.namespace ?? "";
    case "metadata.uid":
      return pod.metadata.uid ?? "";
    case "metadata.labels":
      return formatMap(pod.metadata.labels);
    case "metadata.annotations":
      return formatMap(pod.metadata.annotations);
    case "spec.nodeName":
      return pod.spec.nodeName ?? "";
    case "spec.serviceAccountName":
      return pod.spec.serviceAccountName ?? "";
    case "status.hostIP":
      return pod.status?.hostIP ?? "";
    case "status.podIP":
      return pod.status?.podIP ?? "";
    default:
      throw new Error(`unsupported fieldPath: ${path}`);
  }
}

function downwardItems(pod: Pod, items: DownwardAPIVolumeFile[], mode: number, payload: Payload): void {
  for (const item of items) {
    if (!item.fieldRef) throw new Error(`resourceFieldRef is not supported by stowage's node agent (${item.path})`);
    payload.set(item.path, { data: Buffer.from(fieldValue(pod, item.fieldRef.fieldPath)), mode: item.mode ?? mode });
  }
}

function payloadOf(ctx: PluginContext, volume: FieldVolume): { payload: Payload; version: string } {
  const pod = volume.pod;
  const namespace = pod.metadata.namespace ?? "default";
  const mode = volume.source.defaultMode ?? defaultMode;
  const payload: Payload = new Map();
  const versions = [pod.metadata.resourceVersion ?? ""];
  if (volume.kind === "downwardAPI") {
    downwardItems(pod, volume.source.items ?? [], mode, payload);
    return { payload, version: versions.join(",") };
  }
  for (const projection of volume.source.sources ?? []) {
    if (projection.configMap || projection.secret) {
      const source = projection.configMap
        ? configMapSource(ctx, namespace, projection.configMap, mode)
        : secretSource(ctx, namespace, projection.secret ?? {}, mode);
      requireSource(source);
      versions.push(source.object?.metadata.resourceVersion ?? "absent");
      for (const [path, file] of makePayload(source)) payload.set(path, file);
    } else if (projection.downwardAPI) {
      downwardItems(pod, projection.downwardAPI.items ?? [], mode, payload);
    } else {
      throw new Error("only configMap, secret and downwardAPI projections are supported by stowage's node agent");
    }
  }
  return { payload, version: versions.join(",") };
}

/** What the mounted volume was written from (pod and projected objects' resourceVersions). */
export function projectedVersion(ctx: PluginContext, volume: FieldVolume): string {
  try {
    return payloadOf(ctx, volume).version;
  } catch {
    return "error";
  }
}

export async function setUpProjectedVolume(
  ctx: PluginContext,
  volume: FieldVolume,
  key: string,
): Promise<MountedVolume> {
  const dir = ctx.paths.podVolumeDir(volume.podUid, volume.plugin, volume.innerName);
  let version: string;
  try {
    if (volume.kind === "projected") {
      const sources = volume.source.sources ?? [];
      await sourcesReady(ctx, volume.pod.metadata.namespace ?? "default", {
        configMaps: sources.flatMap((s) => (s.configMap ? [s.configMap.name ?? ""] : [])),
        secrets: sources.flatMap((s) => (s.secret ? [s.secret.name ?? ""] : [])),
      });
    }
    const made = payloadOf(ctx, volume);
    version = made.version;
    await writeAtomically(dir, made.payload);
  } catch (err) {
    throw new VolumeOperationError("MountVolume.SetUp", volume.innerName, (err as Error).message);
  }
  return setUpAt(volume, key, dir, { sourceVersion: version });
}

/** downwardAPI and projected: written files, rewritten when the pod or a projected object changes. */
const fieldPlugin = (name: string): VolumePlugin<FieldVolume> => ({
  name,
  setUp: (ctx, volume, _pod, key) => setUpProjectedVolume(ctx, volume, key),
  tearDown: (_ctx, mounted) => tearDownEmptyDir(mounted),
  sourceVersion: projectedVersion,
});
export const downwardAPIPlugin = fieldPlugin(pluginNames.downwardAPI);
export const projectedPlugin = fieldPlugin(pluginNames.projected);
