// How many nodes a cycle filters, and from where: upstream's numFeasibleNodesToFind table and the rotation.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  checkPercentageOfNodesToScore,
  findNodesThatPassFilters,
  numFeasibleNodesToFind,
  type NodeVerdict,
} from "./feasible.js";

// Rows as upstream's TestNumFeasibleNodesToFind (pkg/scheduler/schedule_one_test.go).
const cases = [
  { name: "fewer than 100 nodes: every node", percentage: undefined, nodes: 10, want: 10 },
  { name: "adaptive default on 1,000 nodes: 42%", percentage: undefined, nodes: 1000, want: 420 },
  { name: "adaptive default on 5,000 nodes: 10%", percentage: undefined, nodes: 5000, want: 500 },
  { name: "adaptive default on 6,000 nodes: 2% is raised to 5%", percentage: undefined, nodes: 6000, want: 300 },
  { name: "adaptive default on 150 nodes: never fewer than 100", percentage: undefined, nodes: 150, want: 100 },
  { name: "0 means the adaptive default", percentage: 0, nodes: 1000, want: 420 },
  { name: "configured 40% of 1,000 nodes", percentage: 40, nodes: 1000, want: 400 },
  { name: "configured 1% of 1,000 nodes: still 100", percentage: 1, nodes: 1000, want: 100 },
  { name: "configured 100%: every node", percentage: 100, nodes: 6000, want: 6000 },
  { name: "configured 40% of 10 nodes: every node", percentage: 40, nodes: 10, want: 10 },
];
for (const c of cases) {
  test(`numFeasibleNodesToFind: ${c.name}`, () => assert.equal(numFeasibleNodesToFind(c.percentage, c.nodes), c.want));
}

test("percentageOfNodesToScore outside 0..100 is refused with upstream's wording", () => {
  assert.throws(
    () => checkPercentageOfNodesToScore(101),
    /percentageOfNodesToScore: Invalid value: 101: not in valid range \[0-100\]/,
  );
  assert.throws(() => checkPercentageOfNodesToScore(-1), /not in valid range/);
  assert.throws(() => checkPercentageOfNodesToScore(12.5), /not in valid range/);
  checkPercentageOfNodesToScore(0);
  checkPercentageOfNodesToScore(100);
  checkPercentageOfNodesToScore(undefined);
});

const names = (count: number) => Array.from({ length: count }, (_, i) => `node-${i}`);

/** A filter that lets through the nodes `fits` names, counting every call. */
function counting(fits: (node: string) => boolean) {
  const seen: string[] = [];
  const filter = (node: string): NodeVerdict<string, string> => {
    seen.push(node);
    return fits(node) ? { feasible: node } : { rejected: node };
  };
  return { seen, filter };
}

test("on 1,000 nodes that all fit, a pod filters 420 nodes and no more", () => {
  const nodes = names(1000);
  const { seen, filter } = counting(() => true);
  const outcome = findNodesThatPassFilters(nodes, 0, numFeasibleNodesToFind(undefined, nodes.length), filter);
  assert.equal(seen.length, 420);
  assert.equal(outcome.feasible.length, 420);
  assert.equal(outcome.processed, 420);
  assert.deepEqual(seen.slice(0, 2), ["node-0", "node-1"]);
});

test("rejected nodes do not count toward the feasible ones: the search goes on until enough fit", () => {
  const nodes = names(1000);
  // Odd nodes fit: the 420th is node-839, after 420 even ones.
  const { seen, filter } = counting((node) => Number(node.slice(5)) % 2 === 1);
  const outcome = findNodesThatPassFilters(nodes, 0, 420, filter);
  assert.equal(outcome.feasible.length, 420);
  assert.equal(outcome.rejected.length, 420);
  assert.equal(seen.length, 840);
});

test("each pod starts where the last stopped, wrapping around, so pods look at different nodes", () => {
  const nodes = names(250);
  const toFind = numFeasibleNodesToFind(undefined, nodes.length); // 250 × 48% = 120
  let start = 0;
  const firsts: string[] = [];
  for (let pod = 0; pod < 3; pod++) {
    const { seen, filter } = counting(() => true);
    const outcome = findNodesThatPassFilters(nodes, start, toFind, filter);
    firsts.push(seen[0]);
    start = (start + outcome.processed) % nodes.length;
  }
  assert.deepEqual(firsts, ["node-0", "node-120", "node-240"]);
});

test("a pod that fits only the node just before the start is still placed, after every node was filtered", () => {
  const nodes = names(1000);
  const { seen, filter } = counting((node) => node === "node-299");
  const outcome = findNodesThatPassFilters(nodes, 300, 420, filter);
  assert.deepEqual(outcome.feasible, ["node-299"]);
  assert.equal(seen.length, 1000);
  assert.equal(outcome.processed, 1000);
});
