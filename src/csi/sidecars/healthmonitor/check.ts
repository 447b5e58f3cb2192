// What external-health-monitor's PVHealthConditionChecker decides for one volume: ask the driver for the volume's
// condition (ControllerGetVolume, or an entry of ListVolumes) and, when it is abnormal, say so on the claim bound to
// it as a Warning VolumeConditionAbnormal event with the driver's message. Nothing is ever changed or deleted: the
// event is for the user (after a control-plane restore, a claim whose volume is gone learns it here).
import type { PersistentVolume, PersistentVolumeClaim } from "../../../api/core/types.js";
import type { EventRecorder, Lister } from "../../../client/index.js";
import type { CsiClient } from "../../client.js";
import { Code, CsiError } from "../../errors.js";

/** upstream's reason (pv_checker.go): users and alerts search for it. */
export const VOLUME_CONDITION_ABNORMAL = "VolumeConditionAbnormal";
/** upstream's recovery event (pv_checker.go sendRecoveryEventToPVC, util.DefaultRecoveryEventMessage). */
export const VOLUME_CONDITION_NORMAL = "VolumeConditionNormal";
export const RECOVERY_MESSAGE = "The Volume returns to the healthy state";

/**
 * A volume the driver does not know at all. Upstream only logs the NOT_FOUND (its TODO: "identify the NotFound
 * error"); its tests' wording for such a volume is "Volume not found", which we send, naming the handle so the
 * user can tell which volume of the claim's history is meant.
 */
export const volumeNotFoundMessage = (handle: string): string => `Volume not found: ${handle}`;

export interface VolumeCondition {
  abnormal: boolean;
  message: string;
}

export interface CheckerContext {
  csi: CsiClient;
  driverName: string;
  claims: Lister<PersistentVolumeClaim>;
  recorder: EventRecorder;
  /**
   * Claims (by uid) warned about and not yet recovered. Upstream finds its unexpired warning through an Event
   * informer; remembering our own saves watching every event in the cluster, at the price of no recovery event
   * for a warning given before a restart.
   */
  warned: Set<string>;
  /** Deadline of each CSI call (upstream --timeout, 15 s). */
  timeoutMs: number;
  signal: AbortSignal;
}

/** The handle of a Bound PV of our driver that is not being deleted, else undefined (upstream checks no other). */
export function monitoredHandle(driverName: string, volume: PersistentVolume): string | undefined {
  const csi = volume.spec.csi;
  if (csi?.driver !== driverName || !csi.volumeHandle) return undefined;
  if (volume.metadata.deletionTimestamp || volume.status?.phase !== "Bound" || !volume.spec.claimRef) return undefined;
  return csi.volumeHandle;
}

/** ControllerGetVolume's answer as a condition; NOT_FOUND is the most abnormal condition of all. */
export async function controllerVolumeCondition(ctx: CheckerContext, handle: string): Promise<VolumeCondition> {
  try {
    const response = await ctx.csi.controller.ControllerGetVolume(
      { volume_id: handle },
      { timeoutMs: ctx.timeoutMs, signal: ctx.signal },
    );
    const condition = response.status?.volume_condition;
    return { abnormal: condition?.abnormal ?? false, message: condition?.message ?? "" };
  } catch (err) {
    if (err instanceof CsiError && err.code === Code.NOT_FOUND) {
      return { abnormal: true, message: volumeNotFoundMessage(handle) };
    }
    throw err; // upstream: an error is no condition; the next round asks again
  }
}

/** Records the abnormal condition on the volume's claim; a healthy volume gets nothing unless it was warned about. */
export function reportCondition(ctx: CheckerContext, volume: PersistentVolume, condition: VolumeCondition): void {
  const ref = volume.spec.claimRef;
  const claim = ref?.namespace && ref.name ? ctx.claims.get(`${ref.namespace}/${ref.name}`) : undefined;
  // Bound, so the binder's claimRef is trusted; a claim not (yet) in the cache is checked again next round.
  if (!claim || (ref?.uid && claim.metadata.uid !== ref.uid)) return;
  const uid = claim.metadata.uid ?? "";
  if (condition.abnormal) {
    ctx.warned.add(uid);
    ctx.recorder.event(claim, "Warning", VOLUME_CONDITION_ABNORMAL, condition.message);
  } else if (ctx.warned.delete(uid)) {
    ctx.recorder.event(claim, "Normal", VOLUME_CONDITION_NORMAL, RECOVERY_MESSAGE);
  }
}

/** One PV through ControllerGetVolume (the GET_VOLUME path). */
export async function checkVolume(ctx: CheckerContext, volume: PersistentVolume): Promise<void> {
  const handle = monitoredHandle(ctx.driverName, volume);
  if (!handle) return;
  reportCondition(ctx, volume, await controllerVolumeCondition(ctx, handle));
}

/**
 * Every PV at once through ListVolumes (the LIST_VOLUMES path): a bound volume the driver does not list is not
 * found, as ControllerGetVolume's NOT_FOUND would say.
 */
export async function checkListedVolumes(ctx: CheckerContext, volumes: PersistentVolume[]): Promise<void> {
  const listed = new Map<string, VolumeCondition>();
  let token = "";
  do {
    const page = await ctx.csi.controller.ListVolumes(
      { starting_token: token },
      { timeoutMs: ctx.timeoutMs, signal: ctx.signal },
    );
    for (const entry of page.entries) {
      const condition = entry.status?.volume_condition;
      if (entry.volume?.volume_id) {
        listed.set(entry.volume.volume_id, {
          abnormal: condition?.abnormal ?? false,
          message: condition?.message ?? "",
        });
      }
    }
    token = page.next_token;
  } while (token !== "");
  for (const volume of volumes) {
    const handle = monitoredHandle(ctx.driverName, volume);
    if (!handle) continue;
    reportCondition(ctx, volume, listed.get(handle) ?? { abnormal: true, message: volumeNotFoundMessage(handle) });
  }
}
