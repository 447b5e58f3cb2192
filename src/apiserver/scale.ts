// statefulsets/scale, deployments/scale, replicasets/scale: the autoscaling/v1 Scale view of a workload that
// `kubectl scale` reads and patches (upstream's ScaleREST). Only spec.replicas can change through it.
import type { ApiRequest } from "../api/http.js";
import type { KubeObject } from "../api/meta.js";
import { formatLabelSelector } from "../api/selectors/labels.js";
import type { LabelSelector } from "../api/meta.js";
import { badRequest, conflict, invalid, StatusError } from "./errors.js";
import { parseBody, type FieldValidation } from "./decode.js";
import { bodyType } from "./media.js";
import { applyPatch } from "./patch/index.js";
import { PatchError } from "./patch/errors.js";
import { patchTypeOf } from "./patching.js";
import type { GenericRegistry } from "./registry/generic.js";
import type { WriteOptions } from "./registry/options.js";

type Scalable = KubeObject & {
  spec?: { replicas?: number; selector?: LabelSelector };
  status?: { replicas?: number };
};

interface Scale {
  apiVersion: "autoscaling/v1";
  kind: "Scale";
  metadata: KubeObject["metadata"];
  spec: { replicas?: number };
  status: { replicas: number; selector?: string };
}

/** The apps/v1 kinds with a scale subresource. */
export const scalable = (def: { group: string; plural: string }): boolean =>
  def.group === "apps" && ["statefulsets", "deployments", "replicasets"].includes(def.plural);

export const hasScale = (registry: GenericRegistry): boolean => scalable(registry.def);

function scaleOf(set: Scalable): Scale {
  const { name, namespace, uid, resourceVersion, creationTimestamp } = set.metadata;
  return {
    apiVersion: "autoscaling/v1",
    kind: "Scale",
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: set.spec?.replicas ?? 1 },
    status: { replicas: set.status?.replicas ?? 0, selector: formatLabelSelector(set.spec?.selector) },
  };
}

export async function handleScale(
  request: ApiRequest,
  registry: GenericRegistry,
  namespace: string | undefined,
  name: string,
  options: WriteOptions,
  _validation: FieldValidation,
): Promise<Scale> {
  const kv = await registry.getKv(namespace, name);
  const set = (await registry.get(namespace, name)) as Scalable;
  if (request.method === "GET") return scaleOf(set);
  if (request.method !== "PUT" && request.method !== "PATCH") {
    throw new StatusError(
      405,
      "MethodNotAllowed",
      `${request.method} is not supported on ${registry.def.plural}/scale`,
    );
  }
  const type = bodyType(request.headers["content-type"]);
  let next: unknown;
  if (request.method === "PUT") {
    if (type !== "json" && type !== "yaml") throw badRequest("a Scale must be sent as JSON or YAML");
    next = parseBody(request.body, type === "yaml");
  } else {
    const kind = patchTypeOf(type);
    if (!kind)
      throw new StatusError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json",
      );
    try {
      next = applyPatch(kind, scaleOf(set), parseBody(request.body, false), {
        group: "autoscaling",
        version: "v1",
        kind: "Scale",
      });
    } catch (err) {
      if (err instanceof PatchError) throw new StatusError(err.code, err.reason, err.message);
      throw err;
    }
  }
  const scale = next as Partial<Scale> | null;
  const replicas = scale?.spec?.replicas;
  if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid("autoscaling", "Scale", name, [
      {
        type: "FieldValueInvalid",
        field: "spec.replicas",
        badValue: replicas ?? null,
        detail: "must be greater than or equal to 0",
      },
    ]);
  }
  const rv = scale?.metadata?.resourceVersion;
  if (rv && rv !== set.metadata.resourceVersion) throw conflict(registry.resource, name);
  const updated = structuredClone(set);
  updated.spec = { ...(updated.spec ?? {}), replicas };
  const written = (await registry.update(namespace, name, updated, options, "", kv)) as Scalable;
  return scaleOf(written);
}
