// Pod Security's modes as upstream's plugin applies a namespace's labels: enforce refuses, warn warns, audit
// annotates; a pod controller's template is only warned and audited; a tightened enforce label names the pods it
// would refuse.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../../api/core/types.js";
import { enforceTightened, existingPodWarnings } from "./namespace.js";
import { namespacePolicy, podSecurity } from "./policy.js";

const pod = (name: string, spec: Partial<Pod["spec"]> = {}): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "team" },
  spec: { containers: [{ name: "app", image: "busybox" }], ...spec },
});
const hostPath = (name = "rooted") => pod(name, { volumes: [{ name: "root", hostPath: { path: "/" } }] });
const label = (mode: string, level: string) => ({ [`pod-security.kubernetes.io/${mode}`]: level });

test("enforce refuses in upstream's words, records the policy, and adds no warning to a refused request", () => {
  const decision = podSecurity(
    namespacePolicy({ ...label("enforce", "baseline"), ...label("warn", "baseline") }),
    hostPath(),
  );
  assert.equal(decision.forbidden, 'violates PodSecurity "baseline:latest": hostPath volumes (volume "root")');
  assert.deepEqual(decision.warnings, []);
  assert.deepEqual(decision.auditAnnotations, { "pod-security.kubernetes.io/enforce-policy": "baseline:latest" });
});

test("warn lets the pod in with upstream's warning; audit records audit-violations", () => {
  const policy = namespacePolicy({
    ...label("warn", "baseline"),
    ...label("audit", "restricted"),
    "pod-security.kubernetes.io/audit-version": "v1.32",
  });
  const decision = podSecurity(policy, hostPath());
  assert.equal(decision.forbidden, undefined);
  assert.deepEqual(decision.warnings, [
    'would violate PodSecurity "baseline:latest": hostPath volumes (volume "root")',
  ]);
  assert.match(
    decision.auditAnnotations["pod-security.kubernetes.io/audit-violations"] ?? "",
    /^would violate PodSecurity "restricted:v1\.32": hostPath volumes \(volume "root"\), allowPrivilegeEscalation != false/,
  );
  assert.equal(decision.auditAnnotations["pod-security.kubernetes.io/enforce-policy"], "privileged:latest");
});

test("a pod controller's template is never refused, only warned about", () => {
  const decision = podSecurity(
    namespacePolicy({ ...label("enforce", "baseline"), ...label("warn", "baseline") }),
    hostPath(),
    false,
  );
  assert.equal(decision.forbidden, undefined);
  assert.deepEqual(decision.warnings, [
    'would violate PodSecurity "baseline:latest": hostPath volumes (volume "root")',
  ]);
  assert.deepEqual(Object.keys(decision.auditAnnotations), []);
});

const tightening = [
  { name: "privileged → baseline checks the pods", old: {}, next: label("enforce", "baseline"), want: true },
  {
    name: "baseline → restricted checks the pods",
    old: label("enforce", "baseline"),
    next: label("enforce", "restricted"),
    want: true,
  },
  {
    name: "restricted → baseline is a relaxation",
    old: label("enforce", "restricted"),
    next: label("enforce", "baseline"),
    want: false,
  },
  { name: "lifting enforce checks nothing", old: label("enforce", "baseline"), next: {}, want: false },
  {
    name: "the same level checks nothing",
    old: label("enforce", "baseline"),
    next: label("enforce", "baseline"),
    want: false,
  },
  {
    name: "a new version of a lower level checks the pods",
    old: label("enforce", "restricted"),
    next: { ...label("enforce", "baseline"), "pod-security.kubernetes.io/enforce-version": "v1.31" },
    want: true,
  },
];
for (const row of tightening)
  test(`namespace labels: ${row.name}`, () =>
    assert.equal(enforceTightened(namespacePolicy(row.next), namespacePolicy(row.old)), row.want));

test("a tightened enforce level names the existing pods it would refuse, one line per set of reasons", () => {
  const pods = [
    hostPath("web-2"),
    hostPath("web-1"),
    hostPath("web-3"),
    pod("net", { hostNetwork: true, volumes: [{ name: "root", hostPath: { path: "/" } }] }),
    pod("fine"),
  ];
  assert.deepEqual(existingPodWarnings("team", { level: "baseline", version: "latest" }, pods), [
    'existing pods in namespace "team" violate the new PodSecurity enforce level "baseline:latest"',
    "net: host namespaces, hostPath volumes",
    "web-1 (and 2 other pods): hostPath volumes",
  ]);
  assert.deepEqual(existingPodWarnings("team", { level: "baseline", version: "latest" }, [pod("fine")]), []);
});
