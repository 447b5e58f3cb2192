// The safe actions, each offered only where SelfSubjectAccessReview says RBAC allows it, and each showing the
// object the API answered with: expand a claim, take a snapshot, restore a snapshot into a new claim, delete a
// Released PV. The API still checks everything; a refusal shows its Status message.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { can, type ResourceAttributes } from "./access.js";
import { getJson } from "./session.js";

/** Whether the user may: undefined while asking. */
export function useCan(attributes: ResourceAttributes): boolean | undefined {
  const [allowed, setAllowed] = useState<boolean>();
  const key = JSON.stringify(attributes);
  useEffect(() => {
    let current = true;
    void can(attributes).then((answer) => current && setAllowed(answer));
    return () => {
      current = false;
    };
  }, [key]);
  return allowed;
}

/** For a data-access attribute: whether the answer is in, and what it was. */
export const accessOf = (allowed: boolean | undefined): string =>
  allowed === undefined ? "asking" : allowed ? "allowed" : "none";

/** The object (or Status) an action produced, for the user to read. */
export function ActionResult(props: { result?: unknown; error?: string }) {
  if (props.error) {
    return (
      <p role="alert" class="error">
        {props.error}
      </p>
    );
  }
  if (props.result === undefined) return null;
  return (
    <pre class="result" aria-live="polite" aria-label="resulting object">
      {JSON.stringify(props.result, null, 2)}
    </pre>
  );
}

/** A form that runs `act` once submitted and shows what it returned. */
export function ActionForm(props: {
  label: string;
  act: () => Promise<unknown>;
  children?: ComponentChildren;
  name: string;
}) {
  const [result, setResult] = useState<unknown>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setResult(await props.act());
    } catch (err) {
      setResult(undefined);
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="panel" data-action={props.name}>
      <form onSubmit={submit}>
        {props.children}
        <button type="submit" class="primary" disabled={busy}>
          {props.label}
        </button>
      </form>
      <ActionResult result={result} error={error} />
    </div>
  );
}

const claimPath = (namespace: string, name?: string) =>
  `/api/v1/namespaces/${encodeURIComponent(namespace)}/persistentvolumeclaims${name ? `/${encodeURIComponent(name)}` : ""}`;

export const expandClaim = (namespace: string, name: string, size: string): Promise<unknown> =>
  getJson(claimPath(namespace, name), {
    method: "PATCH",
    contentType: "application/merge-patch+json",
    body: { spec: { resources: { requests: { storage: size } } } },
  });

export const takeSnapshot = (namespace: string, claim: string, name: string): Promise<unknown> =>
  getJson(`/apis/snapshot.storage.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/volumesnapshots`, {
    method: "POST",
    body: {
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshot",
      metadata: { name, namespace },
      spec: { source: { persistentVolumeClaimName: claim } },
    },
  });

export interface RestoreSource {
  namespace: string;
  snapshot: string;
  size: string;
  storageClassName?: string;
}

/** A new claim whose dataSource is the snapshot (the provisioner restores it), as big as the snapshot's restore size. */
export const restoreSnapshot = (source: RestoreSource, name: string): Promise<unknown> =>
  getJson(claimPath(source.namespace), {
    method: "POST",
    body: {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name, namespace: source.namespace },
      spec: {
        accessModes: ["ReadWriteOnce"],
        ...(source.storageClassName ? { storageClassName: source.storageClassName } : {}),
        resources: { requests: { storage: source.size } },
        dataSource: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: source.snapshot },
      },
    },
  });

/**
 * Deletes a PV only while it is Released: read first, then delete with the read's uid and resourceVersion as
 * preconditions, so a volume that was re-bound or changed meanwhile is not deleted (409 instead).
 */
export async function deleteReleasedVolume(name: string): Promise<unknown> {
  const path = `/api/v1/persistentvolumes/${encodeURIComponent(name)}`;
  const volume = await getJson<{ metadata: { uid?: string; resourceVersion?: string }; status?: { phase?: string } }>(
    path,
  );
  const phase = volume.status?.phase ?? "Pending";
  if (phase !== "Released") {
    throw new Error(`PersistentVolume "${name}" is ${phase}: only a Released volume may be deleted here`);
  }
  const { uid, resourceVersion } = volume.metadata;
  return getJson(path, {
    method: "DELETE",
    body: { apiVersion: "v1", kind: "DeleteOptions", preconditions: { uid, resourceVersion } },
  });
}
