// downwardAPI and projected volumes (pkg/volume/downwardapi, pkg/volume/projected): the pod's own fields, and
// configMap/secret/downwardAPI/serviceAccountToken projections merged into one directory, written by the atomic
// writer and rewritten when the pod or a projected object changes, or a projected token needs its refresh (the
// token manager's 80% of its lifetime).
import { podFSGroup, setVolumeOwnership } from "./ownership.js";
import type { DownwardAPIVolumeFile, Pod, ServiceAccountTokenProjection } from "../../api/core/types.js";
import type { ServiceAccountTokenRequest } from "../tokenmanager.js";
import { pluginNames } from "../paths.js";
import type { MountedVolume } from "../volumemanager/actual.js";
import type { DesiredVolume } from "../volumemanager/desired.js";
import { writeAtomically, type Payload } from "./atomicwriter.js";
import { configMapSource, defaultMode, makePayload, requireSource, secretSource, sourcesReady } from "./configmap.js";
import { setUpAt, VolumeOperationError, type PluginContext } from "./context.js";
import { memoryBackedDir, tearDownEmptyDir } from "./emptydir.js";
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

/** What a serviceAccountToken source asks the token manager for: a token of the pod's ServiceAccount, bound to it. */
function tokenRequestOf(pod: Pod, source: ServiceAccountTokenProjection): ServiceAccountTokenRequest {
  return {
    namespace: pod.metadata.namespace ?? "default",
    serviceAccountName: pod.spec.serviceAccountName || "default",
    audiences: source.audience ? [source.audience] : [],
    expirationSeconds: source.expirationSeconds ?? 3600,
    pod: { name: pod.metadata.name ?? "", uid: pod.metadata.uid ?? "" },
  };
}

type TokenFetch = (source: ServiceAccountTokenProjection) => { token: string; version: string };

/**
 * The files and the version they are written from. Tokens come from `token`: the cached ones for the version
 * check (a stale or missing token makes the version differ), freshly fetched ones for setting up.
 */
function payloadOf(ctx: PluginContext, volume: FieldVolume, token: TokenFetch): { payload: Payload; version: string } {
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
    } else if (projection.serviceAccountToken) {
      const { token: jwt, version } = token(projection.serviceAccountToken);
      versions.push(version);
      payload.set(projection.serviceAccountToken.path, { data: Buffer.from(jwt), mode });
    } else {
      throw new Error(
        "only configMap, secret, downwardAPI and serviceAccountToken projections are supported by stowage's node agent",
      );
    }
  }
  return { payload, version: versions.join(",") };
}

/** The tokens a projected volume's serviceAccountToken sources need, fetched (or taken from the cache) now. */
async function fetchTokens(ctx: PluginContext, volume: FieldVolume): Promise<TokenFetch> {
  const fetched = new Map<ServiceAccountTokenProjection, { token: string; version: string }>();
  if (volume.kind !== "projected") return () => ({ token: "", version: "" });
  for (const projection of volume.source.sources ?? []) {
    const source = projection.serviceAccountToken;
    if (!source) continue;
    if (!ctx.serviceAccountTokens) throw new Error("failed to fetch token: this node agent has no token manager");
    try {
      const issued = await ctx.serviceAccountTokens.getServiceAccountToken(tokenRequestOf(volume.pod, source));
      fetched.set(source, { token: issued.token, version: `token:${issued.expirationTimestamp.getTime()}` });
    } catch (err) {
      throw new Error(`failed to fetch token: ${(err as Error).message}`);
    }
  }
  return (source) => fetched.get(source) ?? { token: "", version: "token:missing" };
}

/** What the mounted volume was written from (pod and projected objects' resourceVersions, tokens' expiry). */
export function projectedVersion(ctx: PluginContext, volume: FieldVolume): string {
  const cachedToken: TokenFetch = (source) => {
    const issued = ctx.serviceAccountTokens?.fresh(tokenRequestOf(volume.pod, source));
    return { token: "", version: issued ? `token:${issued.expirationTimestamp.getTime()}` : "token:refresh" };
  };
  try {
    return payloadOf(ctx, volume, cachedToken).version;
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
    const made = payloadOf(ctx, volume, await fetchTokens(ctx, volume));
    version = made.version;
    // projected and downwardAPI volumes live on a tmpfs, as the kubelet's (they may hold secrets and tokens)
    await memoryBackedDir(dir);
    await writeAtomically(dir, made.payload);
    // Read-only files for the pod's fsGroup, after every write (upstream's projected and downwardAPI do the same).
    await setVolumeOwnership(dir, podFSGroup(volume.pod).fsGroup, undefined, true);
  } catch (err) {
    throw new VolumeOperationError("MountVolume.SetUp", volume.innerName, (err as Error).message);
  }
  return setUpAt(volume, key, dir, { sourceVersion: version });
}

/** downwardAPI and projected: written files, rewritten when the pod or a projected object changes. */
const fieldPlugin = (name: string): VolumePlugin<FieldVolume> => ({
  name,
  setUp: (ctx, volume, _pod, key) => setUpProjectedVolume(ctx, volume, key),
  tearDown: (ctx, mounted) => {
    ctx.serviceAccountTokens?.deletePodTokens(mounted.podUid);
    return tearDownEmptyDir(mounted);
  },
  sourceVersion: projectedVersion,
});
export const downwardAPIPlugin = fieldPlugin(pluginNames.downwardAPI);
export const projectedPlugin = fieldPlugin(pluginNames.projected);
