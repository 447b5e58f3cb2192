// Issue 17's acceptance: a dead node costs seconds, and a cut-off node never writes after another took over.
// Three machines (separate `stowage node --runtime process` processes with their own root dirs and block drivers,
// failoverworld.ts); a StatefulSet pod appends "<sequence> <node>" to a file on a ReadWriteOnce block-movable
// claim. Its machine is killed: the pod runs on another machine with its data, and no line of the old machine
// follows the new one's first. Then that machine is partitioned instead: same, and once healed the old machine has
// fenced itself (event), rejoins (out-of-service taint removed) and has not touched the volume.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Event, Node } from "../api/core/types.js";
import { blockUnavailableReason } from "./parts.js";
import {
  assertHandedOver,
  runningElsewhere,
  sequenceLines,
  sequenceStatefulSet,
  startFailoverWorld,
  type FailoverWorld,
} from "./failoverworld.js";
import { eventually } from "./stowage.js";

async function events(world: FailoverWorld, reason: string): Promise<Event[]> {
  const list = JSON.parse(
    await world.stowage.kubectl("get", "events", "-A", "--field-selector", `reason=${reason}`, "-o", "json"),
  ) as { items: Event[] };
  return list.items;
}

const taintsOf = async (world: FailoverWorld, name: string) =>
  ((JSON.parse(await world.stowage.kubectl("get", "node", name, "-o", "json")) as Node).spec?.taints ?? []).map(
    (taint) => `${taint.key}:${taint.effect}`,
  );

test("a StatefulSet pod's ReadWriteOnce block volume fails over from a killed machine, then from a partitioned one", async (t) => {
  const unavailable = await blockUnavailableReason();
  if (unavailable) return t.skip(`block driver unavailable: ${unavailable}`);
  const world = await startFailoverWorld(t);
  const applied = await world.stowage.kubectlResult(["apply", "-f", "-"], { input: sequenceStatefulSet });
  assert.equal(applied.code, 0, applied.stderr);
  const first = await runningElsewhere(world, undefined, 90_000);
  const killedName = first.spec.nodeName ?? "";
  t.diagnostic(`seq-0 runs on ${killedName}; killing it`);

  // 1. The machine dies.
  await world.kill(world.machine(killedName));
  const second = await runningElsewhere(world, killedName, 90_000);
  const secondNode = second.spec.nodeName ?? "";
  assertHandedOver(await sequenceLines(world, second), [killedName, secondNode]);
  assert.deepEqual(await taintsOf(world, killedName), ["node.kubernetes.io/out-of-service:NoExecute"]);
  assert.ok(
    (await events(world, "TaintManagerEviction")).some((e) => e.message === "Marking for deletion Pod default/seq-0"),
  );

  // 2. The next machine is cut off from the API, alive: it fences itself, the pod moves to the last machine.
  t.diagnostic(`seq-0 moved to ${secondNode}; partitioning it`);
  const partitioned = world.machine(secondNode);
  partitioned.proxy.partition();
  const third = await runningElsewhere(world, secondNode, 90_000);
  const thirdNode = third.spec.nodeName ?? "";
  assert.notEqual(thirdNode, killedName);
  assertHandedOver(await sequenceLines(world, third), [killedName, secondNode, thirdNode]);

  t.diagnostic(`seq-0 moved to ${thirdNode}; healing ${secondNode}`);
  // Healed: it says it fenced, tells the controller its volumes are released, and rejoins without the taint.
  partitioned.proxy.heal();
  const fenced = await eventually(async () => {
    const found = (await events(world, "Fenced")).find(
      (e) => e.involvedObject.kind === "Node" && e.involvedObject.name === secondNode,
    );
    return found;
  }, 30_000);
  assert.match(
    fenced.message ?? "",
    new RegExp(
      `^Node ${secondNode} could not renew its lease for \\d+s and fenced itself at .*: stopped default/seq-0; released pvc-`,
    ),
  );
  await eventually(async () => ((await taintsOf(world, secondNode)).length === 0 ? true : undefined), 30_000);
  assert.ok((await events(world, "NodeOutOfServiceRemoved")).some((e) => e.involvedObject.name === secondNode));
  // It never touched the volume again: the pod on the third machine still writes, alone.
  const before = (await sequenceLines(world, third)).length;
  await eventually(async () => ((await sequenceLines(world, third)).length > before + 5 ? true : undefined));
  assertHandedOver(await sequenceLines(world, third), [killedName, secondNode, thirdNode]);
  assert.equal(await world.podOnMachine(secondNode), undefined);

  await world.stowage.kubectl("delete", "statefulset", "seq", "--timeout=60s");
  await world.stowage.kubectl("wait", "pod/seq-0", "--for=delete", "--timeout=60s");
});
