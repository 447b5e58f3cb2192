// The reconciler's operation executor (pkg/volume/util/nestedpendingoperations): at most one step runs per volume
// (or staged device) at a time, a step that touches a device keeps every other step on that device waiting, and a
// failed step is retried with per-key exponential backoff. Failures a user can act on become events on the pod.
import type { Pod } from "../../api/core/types.js";
import { EventFailedMountVolume } from "../../api/wellknown.js";
import type { EventRecorder } from "../../client/index.js";
import { AttachPendingError, UncertainOperationError, VolumeOperationError } from "../plugins/context.js";
import type { ActualState } from "./actual.js";

export interface OperationsOptions {
  actual: ActualState;
  recorder: EventRecorder;
  /** Called after a step finished, either way (the pod's status may change). */
  onFinished(podUid: string, succeeded: boolean): void;
  log(message: string, err?: unknown): void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

interface Backoff {
  until: number;
  delayMs: number;
}

export class PendingOperations {
  private readonly inFlight = new Map<string, { devices: Set<string> }>();
  private readonly backoff = new Map<string, Backoff>();

  constructor(private readonly options: OperationsOptions) {}

  /** How many steps run now. */
  get size(): number {
    return this.inFlight.size;
  }

  isRunning(key: string): boolean {
    return this.inFlight.has(key);
  }

  /** Whether a running step holds this staged device. */
  deviceBusy(device: string): boolean {
    for (const op of this.inFlight.values()) if (op.devices.has(device)) return true;
    return false;
  }

  /** Starts `step` unless one with the same key runs or backs off; records the outcome. */
  start(
    key: string,
    devices: string[],
    step: () => Promise<void>,
    pod?: Pod,
    failureReason: string = EventFailedMountVolume,
  ): void {
    if (this.inFlight.has(key)) return;
    const backoff = this.backoff.get(key);
    if (backoff && Date.now() < backoff.until) return;
    this.inFlight.set(key, { devices: new Set(devices) });
    const podUid = pod?.metadata.uid ?? key.split("/")[0];
    void step().then(
      () => {
        this.backoff.delete(key);
        this.inFlight.delete(key);
        this.options.onFinished(podUid, true);
      },
      (err: unknown) => {
        this.inFlight.delete(key);
        if (err instanceof AttachPendingError) return; // re-checked each pass: the lister read is free
        if (err instanceof UncertainOperationError) {
          // The driver may have done it: remember it as uncertain so it is redone while needed, undone if not.
          if ("device" in err.uncertain) this.options.actual.markStaged(err.uncertain.device);
          else this.options.actual.markMounted(err.uncertain.volume);
        }
        const initial = this.options.initialBackoffMs ?? 200;
        const delayMs = Math.min((backoff?.delayMs ?? initial / 2) * 2, this.options.maxBackoffMs ?? 30_000);
        this.backoff.set(key, { until: Date.now() + delayMs, delayMs });
        if (err instanceof VolumeOperationError && pod) {
          this.options.recorder.event(pod, "Warning", failureReason, err.message);
        } else {
          this.options.log(`volume step ${key} failed; retrying in ${delayMs} ms`, err);
        }
        this.options.onFinished(podUid, false);
      },
    );
  }
}
