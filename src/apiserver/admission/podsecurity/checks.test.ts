// Pod Security Standards checks: each row a pod and the message upstream's pod-security-admission gives it.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../../api/core/types.js";
import { describeViolations, violations, type Level } from "./checks.js";

const pod = (spec: Partial<Pod["spec"]>): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "team" },
  spec: { containers: [{ name: "app", image: "busybox" }], ...spec },
});
const hardened = {
  securityContext: {
    allowPrivilegeEscalation: false,
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
    capabilities: { drop: ["ALL"] },
  },
};

const rows: { name: string; pod: Pod; level: Level; want: string }[] = [
  {
    name: "a hostPath volume breaks baseline",
    pod: pod({ volumes: [{ name: "root", hostPath: { path: "/" } }] }),
    level: "baseline",
    want: 'hostPath volumes (volume "root")',
  },
  {
    name: "host namespaces and a privileged container break baseline",
    pod: pod({
      hostNetwork: true,
      hostPID: true,
      containers: [{ name: "app", image: "busybox", securityContext: { privileged: true } }],
    }),
    level: "baseline",
    want: 'host namespaces (hostNetwork=true, hostPID=true), privileged (container "app" must not set securityContext.privileged=true)',
  },
  {
    name: "a capability beyond the default set breaks baseline",
    pod: pod({
      containers: [
        { name: "app", image: "busybox", securityContext: { capabilities: { add: ["SYS_ADMIN", "CHOWN"] } } },
      ],
    }),
    level: "baseline",
    want: 'non-default capabilities (container "app" must not include "SYS_ADMIN" in securityContext.capabilities.add)',
  },
  {
    name: "a host port breaks baseline",
    pod: pod({ containers: [{ name: "web", image: "nginx", ports: [{ containerPort: 80, hostPort: 8080 }] }] }),
    level: "baseline",
    want: 'hostPort (container "web" uses hostPort 8080)',
  },
  {
    name: "a plain pod with a claim passes baseline",
    pod: pod({ volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }] }),
    level: "baseline",
    want: "",
  },
  {
    name: "a plain pod breaks restricted in upstream's four ways",
    pod: pod({}),
    level: "restricted",
    want:
      'allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), ' +
      'unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), ' +
      'runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), ' +
      'seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
  },
  {
    name: "baseline names every container adding capabilities, and the capabilities once each, sorted",
    pod: pod({
      containers: [
        { name: "a", image: "busybox", securityContext: { capabilities: { add: ["SYS_TIME", "NET_ADMIN"] } } },
        { name: "b", image: "busybox", securityContext: { capabilities: { add: ["NET_ADMIN", "CHOWN"] } } },
      ],
      hostNetwork: true,
    }),
    level: "baseline",
    want:
      'non-default capabilities (containers "a", "b" must not include "NET_ADMIN", "SYS_TIME" in securityContext.capabilities.add), ' +
      "host namespaces (hostNetwork=true)",
  },
  {
    name: "restricted gives one unrestricted capabilities reason for a missing drop and a forbidden add, after baseline's",
    pod: pod({
      containers: [
        {
          name: "app",
          image: "busybox",
          securityContext: { ...hardened.securityContext, capabilities: { add: ["SYS_ADMIN"] } },
        },
      ],
      volumes: [{ name: "root", hostPath: { path: "/" } }],
    }),
    level: "restricted",
    want:
      'hostPath volumes (volume "root"), ' +
      'unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]; ' +
      'container "app" must not include "SYS_ADMIN" in securityContext.capabilities.add), ' +
      'restricted volume types (volume "root" uses restricted volume type "hostPath")',
  },
  {
    name: "an nfs volume is a restricted volume type",
    pod: pod({
      containers: [{ name: "app", image: "busybox", ...hardened }],
      volumes: [{ name: "share", nfs: { server: "nas", path: "/export" } }],
    }),
    level: "restricted",
    want: 'restricted volume types (volume "share" uses restricted volume type "nfs")',
  },
  {
    name: "a hardened pod with a claim passes restricted",
    pod: pod({
      containers: [{ name: "app", image: "busybox", ...hardened }],
      volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }],
    }),
    level: "restricted",
    want: "",
  },
  {
    name: "privileged allows anything",
    pod: pod({ hostNetwork: true, volumes: [{ name: "root", hostPath: { path: "/" } }] }),
    level: "privileged",
    want: "",
  },
];
for (const row of rows)
  test(row.name, () => assert.equal(describeViolations(violations(row.pod, row.level)), row.want));
