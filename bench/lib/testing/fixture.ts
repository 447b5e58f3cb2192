// A bench the contract's test runs as a process: `ok` measures and passes its check; `wrong` measures, records a
// figure, then finds two claims on one PV; `timeout` waits for a step that never comes.
import { checkBindings } from "../../checks/binding.js";
import { boundPair, claim } from "../../checks/testing/objects.js";
import { runBench } from "../bench.js";
import { within } from "../wait.js";

const mode = process.argv[2];
await runBench("fixture", async (ctx) => {
  ctx.figure({
    figure: "fixture.claims_per_second",
    value: 1234.5678,
    unit: "claims/s",
    goal: { op: ">=", value: 1000 },
  });
  const a = boundPair("a", "1Gi");
  const claims = mode === "wrong" ? [a.claim, claim("b", "1Gi", { volumeName: "pv-a" })] : [a.claim];
  checkBindings(claims, [a.volume], { smallestFit: true });
  if (mode === "timeout") await within(50, "claims Bound", new Promise(() => undefined));
});
