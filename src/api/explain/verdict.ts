// What `stowage explain` answers, for the terminal and for `-o json` (the dashboard reads the same): the object,
// where it stands, the chain of steps that should move it with each step's state, THE step that blocks it with
// the reason and what to do, and the evidence (objects, events, conditions) the verdict rests on. The shape is a
// contract (README.md): fields are only ever added.

/** The steps of the storage flow, in the order they move an object (DESIGN.md "The flow"). */
export type Step =
  | "class"
  | "provisioner"
  | "capacity"
  | "binding"
  | "scheduling"
  | "node"
  | "attach"
  | "stage"
  | "publish"
  | "container"
  | "snapshot"
  | "reclaim"
  | "pods";

/** done: passed; blocked: THE step that stops the object; waiting: in progress, nothing wrong yet; later: not reached. */
export type StepState = "done" | "blocked" | "waiting" | "later";

export interface ChainLink {
  step: Step;
  state: StepState;
  message: string;
}

/** The one step that stops the object: `reason` is a stable name to branch on, `message` says what, `fix` what to do. */
export interface Blocking {
  step: Step;
  reason: string;
  message: string;
  fix: string;
}

/** One object, event or condition the verdict rests on. */
export interface Evidence {
  kind: string;
  name: string;
  namespace?: string;
  says: string;
}

/** For an unbound claim: every volume it could have taken and why it does not fit. */
export interface Candidate {
  name: string;
  fits: boolean;
  /** "Fits", "PreBound", or the rule it fails (storagerules/fit.ts Misfit, or "NoNodeFits" for affinity). */
  reason: string;
  message: string;
}

export interface Explanation {
  kind: string;
  namespace?: string;
  name: string;
  /** Where it stands, in a few words ("Pending", "Bound to pv-a", "Running on node-1"). */
  state: string;
  /** Absent when nothing blocks the object. */
  blocking?: Blocking;
  chain: ChainLink[];
  evidence: Evidence[];
  candidates?: Candidate[];
}

/** The chain each kind walks, in order (DESIGN.md "The flow"). */
const flows: Record<string, Step[]> = {
  PersistentVolumeClaim: ["class", "provisioner", "capacity", "snapshot", "scheduling", "binding"],
  Pod: [
    "class",
    "provisioner",
    "capacity",
    "snapshot",
    "binding",
    "scheduling",
    "node",
    "attach",
    "stage",
    "publish",
    "container",
  ],
  StatefulSet: [
    "pods",
    "class",
    "provisioner",
    "capacity",
    "snapshot",
    "binding",
    "scheduling",
    "node",
    "attach",
    "stage",
    "publish",
    "container",
  ],
};

/** Builds a chain step by step: every step before the blocking one is done, every one after it later. */
export class Verdict {
  readonly chain: ChainLink[] = [];
  readonly evidence: Evidence[] = [];
  blocking?: Blocking;
  candidates?: Candidate[];

  constructor(
    readonly kind: string,
    readonly name: string,
    readonly namespace: string | undefined,
    public state: string,
  ) {}

  done(step: Step, message: string): this {
    this.chain.push({ step, state: this.blocking ? "later" : "done", message });
    return this;
  }

  /** In progress, nothing wrong: the object waits on this step without being stuck (yet). */
  waiting(step: Step, reason: string, message: string, fix: string): this {
    return this.stop(step, "waiting", { step, reason, message, fix });
  }

  block(step: Step, reason: string, message: string, fix: string): this {
    return this.stop(step, "blocked", { step, reason, message, fix });
  }

  later(step: Step, message: string): this {
    this.chain.push({ step, state: "later", message });
    return this;
  }

  see(kind: string, name: string, says: string, namespace?: string): this {
    if (!this.evidence.some((e) => e.kind === kind && e.name === name && e.says === says)) {
      this.evidence.push({ kind, name, ...(namespace ? { namespace } : {}), says });
    }
    return this;
  }

  get stopped(): boolean {
    return this.blocking !== undefined;
  }

  private stop(step: Step, state: StepState, blocking: Blocking): this {
    if (this.blocking) return this.later(step, blocking.message);
    this.blocking = blocking;
    this.chain.push({ step, state, message: blocking.message });
    return this;
  }

  /** The steps still ahead of a blocked object, in flow order, so a reader sees the whole chain it must walk. */
  private ahead(): ChainLink[] {
    const flow = flows[this.kind] ?? [];
    const at = this.blocking ? flow.indexOf(this.blocking.step) : -1;
    if (at < 0) return [];
    return flow
      .slice(at + 1)
      .filter((step) => !this.chain.some((link) => link.step === step))
      .map((step) => ({ step, state: "later", message: "not reached yet" }));
  }

  result(): Explanation {
    return {
      kind: this.kind,
      ...(this.namespace !== undefined ? { namespace: this.namespace } : {}),
      name: this.name,
      state: this.state,
      ...(this.blocking ? { blocking: this.blocking } : {}),
      chain: [...this.chain, ...this.ahead()],
      evidence: this.evidence,
      ...(this.candidates ? { candidates: this.candidates } : {}),
    };
  }
}
