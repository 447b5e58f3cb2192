// What the chaos test asks of the cluster while it breaks it: waves of claims, pods with claims of their own and
// ConfigMaps, each wave deleting the one before last, and a 3-replica StatefulSet deleted and created again (its
// claims stay, with the data written into them). Every call is repeated until it is answered (a component may be
// dead at the moment); a create answered AlreadyExists or a delete answered NotFound is done. Each ConfigMap whose
// create was acknowledged is kept in a ledger the final check holds the cluster to.
import type { StatefulSet } from "../../api/apps/types.js";
import type { PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import { isAlreadyExists, isNotFound, type Client } from "../../client/index.js";
import { consumerClass, immediateClass } from "./storage.js";

export const namespace = "default";
export const setName = "chaos-db";
export const setReplicas = 3;
const size = "16Mi";

export interface WaveSize {
  /** Claims no pod uses (bound at once). */
  claims: number;
  /** Pods, each with a claim of its own (bound when scheduled). */
  pods: number;
  /** ConfigMaps: writes the ledger keeps. */
  writes: number;
}

/** Repeats `call` until it is answered, for up to a minute; `done` says which errors mean it is done already. */
export async function persist<T>(
  what: string,
  call: () => Promise<T>,
  done: (err: unknown) => boolean = () => false,
): Promise<T | undefined> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (done(err)) return undefined;
      if (Date.now() > deadline) throw new Error(`${what}: not answered within 60 s: ${String(err)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

const claim = (name: string, storageClassName: string): PersistentVolumeClaim => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name, namespace, labels: { chaos: "claim" } },
  spec: { accessModes: ["ReadWriteOnce"], storageClassName, resources: { requests: { storage: size } } },
});

const pod = (name: string, claimName: string): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace, labels: { chaos: "pod" } },
  spec: {
    containers: [{ name: "app", image: "busybox", volumeMounts: [{ name: "data", mountPath: "/data" }] }],
    volumes: [{ name: "data", persistentVolumeClaim: { claimName } }],
  },
});

export const statefulSet = (): StatefulSet => ({
  apiVersion: "apps/v1",
  kind: "StatefulSet",
  metadata: { name: setName, namespace },
  spec: {
    serviceName: setName,
    replicas: setReplicas,
    podManagementPolicy: "Parallel",
    selector: { matchLabels: { app: setName } },
    template: {
      metadata: { labels: { app: setName } },
      spec: { containers: [{ name: "db", image: "busybox", volumeMounts: [{ name: "data", mountPath: "/data" }] }] },
    },
    volumeClaimTemplates: [
      {
        metadata: { name: "data" },
        spec: {
          accessModes: ["ReadWriteOnce"],
          storageClassName: consumerClass,
          resources: { requests: { storage: size } },
        },
      },
    ],
  },
});

export class Workload {
  /** ConfigMaps whose create was acknowledged, with the value written. */
  readonly acknowledged = new Map<string, string>();
  /** Waves whose objects exist (created, not yet deleted). */
  private readonly live: number[] = [];
  claimsCreated = 0;
  podsCreated = 0;

  constructor(
    private readonly client: Client,
    private readonly size: WaveSize,
  ) {}

  /** Creates wave `n` and deletes the wave before last, so two waves live at a time. */
  async wave(n: number): Promise<void> {
    const { client } = this;
    const create = <T>(what: string, call: () => Promise<T>) => persist(what, call, isAlreadyExists);
    const work: Array<Promise<unknown>> = [];
    for (let i = 0; i < this.size.claims; i++) {
      work.push(
        create("create claim", () => client.persistentVolumeClaims.create(claim(`c-${n}-${i}`, immediateClass))),
      );
    }
    for (let i = 0; i < this.size.pods; i++) {
      work.push(
        create("create pod claim", () => client.persistentVolumeClaims.create(claim(`pc-${n}-${i}`, consumerClass))),
        create("create pod", () => client.pods.create(pod(`p-${n}-${i}`, `pc-${n}-${i}`))),
      );
    }
    for (let i = 0; i < this.size.writes; i++) work.push(this.write(`w-${n}-${i}`, `${n}/${i}/${Date.now()}`));
    await Promise.all(work);
    this.claimsCreated += this.size.claims + this.size.pods;
    this.podsCreated += this.size.pods;
    this.live.push(n);
    if (this.live.length > 2) await this.remove(this.live.shift() ?? 0);
  }

  /** Deletes a wave's pods and claims (the claims wait for their pods: pvc-protection). */
  private async remove(n: number): Promise<void> {
    const { client } = this;
    const remove = <T>(what: string, call: () => Promise<T>) => persist(what, call, isNotFound);
    const work: Array<Promise<unknown>> = [];
    for (let i = 0; i < this.size.claims; i++) {
      work.push(remove("delete claim", () => client.persistentVolumeClaims.delete(namespace, `c-${n}-${i}`)));
    }
    for (let i = 0; i < this.size.pods; i++) {
      work.push(
        remove("delete pod", () => client.pods.delete(namespace, `p-${n}-${i}`)),
        remove("delete pod claim", () => client.persistentVolumeClaims.delete(namespace, `pc-${n}-${i}`)),
      );
    }
    await Promise.all(work);
  }

  /** A ConfigMap create, acknowledged or not: only an answer (or AlreadyExists after an unanswered try) counts. */
  private async write(name: string, value: string): Promise<void> {
    const configMap = { apiVersion: "v1" as const, kind: "ConfigMap" as const, metadata: { name, namespace } };
    await persist("write", () => this.client.configMaps.create({ ...configMap, data: { value } }), isAlreadyExists);
    // Answered, or AlreadyExists: an earlier try was applied though its answer was lost. Either way it is written.
    this.acknowledged.set(name, value);
  }

  /** The pods and claims the live waves should have, by name. */
  expected(): { pods: Set<string>; claims: Set<string> } {
    const pods = new Set<string>();
    const claims = new Set<string>();
    for (const n of this.live) {
      for (let i = 0; i < this.size.claims; i++) claims.add(`c-${n}-${i}`);
      for (let i = 0; i < this.size.pods; i++) {
        pods.add(`p-${n}-${i}`);
        claims.add(`pc-${n}-${i}`);
      }
    }
    return { pods, claims };
  }
}
