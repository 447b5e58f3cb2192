// Admission plugins: mutate (admit) then validate, around every write, as upstream's admission chain does.
import type { KubeObject } from "../../api/meta.js";
import type { ResourceDefinition } from "../../api/resource.js";
import type { UserInfo } from "../../api/user.js";

export type Operation = "CREATE" | "UPDATE" | "DELETE";

export interface AdmissionAttributes {
  operation: Operation;
  def: ResourceDefinition;
  namespace: string | undefined;
  name: string;
  /** "" for the main resource, "status" etc. for a subresource. */
  subresource: string;
  /** The object being written (CREATE/UPDATE); plugins that mutate change it in place. */
  object?: KubeObject;
  /** The stored object (UPDATE/DELETE). */
  old?: KubeObject;
  dryRun: boolean;
  /** Who asks (upstream's GetUserInfo); undefined for the apiserver's own writes, which plugins trust. */
  user?: UserInfo;
  /** Warnings for the response: kubectl prints each as "Warning: …" (upstream's warning.AddWarning). */
  warnings: string[];
  /** Audit annotations (upstream's AddAnnotation): what an audit log would record with this request. */
  auditAnnotations: Record<string, string>;
}

/** What plugins may read: the current objects of any served resource (never the store directly). */
export interface ObjectReader {
  get(group: string, plural: string, namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
  list(group: string, plural: string, namespace?: string): Promise<KubeObject[]>;
}

export interface AdmissionPlugin {
  name: string;
  /** Mutating phase: may change attrs.object. Throw a StatusError to refuse. */
  admit?(attrs: AdmissionAttributes, reader: ObjectReader): Promise<void>;
  /** Validating phase: may only refuse. */
  validate?(attrs: AdmissionAttributes, reader: ObjectReader): Promise<void>;
}

export class AdmissionChain {
  constructor(
    private readonly plugins: AdmissionPlugin[],
    private readonly reader: ObjectReader,
  ) {}
  async admit(attrs: AdmissionAttributes): Promise<void> {
    for (const plugin of this.plugins) await plugin.admit?.(attrs, this.reader);
  }
  async validate(attrs: AdmissionAttributes): Promise<void> {
    for (const plugin of this.plugins) await plugin.validate?.(attrs, this.reader);
  }
}
