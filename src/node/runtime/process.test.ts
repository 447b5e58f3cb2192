// Runtime "process" through the real kubectl, as a user sees it: containers really run (each in its own mount
// namespace over the host's root), share emptyDirs, honour readOnly mounts, run init containers first, end in the
// phase their exit codes and restartPolicy say, and write what they print where `kubectl logs` reads it.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { eventually, startProcessStowage } from "../../e2e/processruntime.js";

const shared = `
apiVersion: v1
kind: Pod
metadata: {name: shared}
spec:
  containers:
    - name: writer
      image: busybox
      command: [sh, -c, 'i=0; while true; do echo "line $i" >> /var/log/app/app.log; i=$((i+1)); sleep 0.1; done']
      volumeMounts: [{name: logs, mountPath: /var/log/app}]
    - name: processor
      image: busybox
      command: [sh, -c, 'while [ ! -e /logs/app.log ]; do sleep 0.1; done; exec tail -n +1 -f /logs/app.log']
      volumeMounts: [{name: logs, mountPath: /logs}]
  volumes: [{name: logs, emptyDir: {}}]
`;

const exits = `
apiVersion: v1
kind: Pod
metadata: {name: done}
spec:
  restartPolicy: Never
  containers: [{name: main, image: busybox, command: [sh, -c, 'echo all good'] }]
---
apiVersion: v1
kind: Pod
metadata: {name: broken}
spec:
  restartPolicy: Never
  containers: [{name: main, image: busybox, command: [sh, -c, 'echo failing >&2; exit 3'] }]
`;

const initAndEnv = `
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {greeting: hello}
---
apiVersion: v1
kind: Pod
metadata: {name: ordered, labels: {app: demo}}
spec:
  restartPolicy: Never
  initContainers:
    - {name: first, image: busybox, command: [sh, -c, 'echo first >> /work/order'], volumeMounts: [{name: work, mountPath: /work}]}
    - {name: second, image: busybox, command: [sh, -c, 'echo second >> /work/order'], volumeMounts: [{name: work, mountPath: /work}]}
  containers:
    - name: main
      image: busybox
      workingDir: /work
      command: [sh, -c]
      args: ['cat order; echo "$GREETING from $POD_NAME ($APP) in $(pwd), $(MESSAGE)"']
      env:
        - {name: GREETING, valueFrom: {configMapKeyRef: {name: settings, key: greeting}}}
        - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: APP, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
        - {name: MESSAGE, value: "$(GREETING) again"}
      volumeMounts: [{name: work, mountPath: /work}]
  volumes: [{name: work, emptyDir: {}}]
---
apiVersion: v1
kind: Pod
metadata: {name: readonly}
spec:
  restartPolicy: Never
  containers:
    - name: main
      image: busybox
      command: [sh, -c, 'cat /config/seed; if echo x > /config/new; then echo wrote; else echo refused; fi; sleep 0.1; echo ok > /scratch/new && cat /scratch/new']
      volumeMounts: [{name: config, mountPath: /config, readOnly: true}, {name: config, mountPath: /scratch}]
  initContainers:
    - {name: seed, image: busybox, command: [sh, -c, 'echo seeded > /config/seed'], volumeMounts: [{name: config, mountPath: /config}]}
  volumes: [{name: config, emptyDir: {}}]
`;

const subPaths = `
apiVersion: v1
kind: Pod
metadata: {name: subpaths}
spec:
  restartPolicy: Never
  initContainers:
    - {name: writer, image: busybox, command: [sh, -c, 'echo only-here > /sub/file'], volumeMounts: [{name: shared, mountPath: /sub, subPath: a/b}]}
  containers:
    - {name: main, image: busybox, command: [sh, -c, 'cat /all/a/b/file; ls /all'], volumeMounts: [{name: shared, mountPath: /all}]}
  volumes: [{name: shared, emptyDir: {}}]
`;

const devices = `
apiVersion: v1
kind: Pod
metadata: {name: devices}
spec:
  restartPolicy: Never
  containers:
    - name: main
      image: busybox
      command: [sh, -c, 'hostname; echo discarded > /dev/null; head -c 4 /dev/urandom | wc -c; ls /dev | tr "\\n" " "; echo; echo "finished cleanly" > /dev/termination-log']
`;

const users = `
apiVersion: v1
kind: Pod
metadata: {name: users}
spec:
  restartPolicy: Never
  securityContext: {runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000]}
  containers:
    - name: main
      image: busybox
      command: [sh, -c, 'id -u; id -g; id -G; touch /scratch/file; stat -c "%u:%g" /scratch/file']
      volumeMounts: [{name: scratch, mountPath: /scratch}]
    - name: strict
      image: busybox
      command: [sh, -c, 'id -u']
      securityContext: {runAsNonRoot: true, runAsUser: 0}
  volumes: [{name: scratch, emptyDir: {}}]
`;

const failing = `
apiVersion: v1
kind: Pod
metadata: {name: crashy}
spec:
  containers: [{name: main, image: busybox, command: [sh, -c, 'echo crashing; exit 1'] }]
---
apiVersion: v1
kind: Pod
metadata: {name: missing}
spec:
  restartPolicy: Never
  containers: [{name: main, image: nginx, command: [no-such-server] }]
`;

test("runtime process runs pods' commands with their volumes, as kubectl shows them", async (t) => {
  const stowage = await startProcessStowage(t);
  await stowage.apply(shared);
  await stowage.apply(exits);
  await stowage.apply(initAndEnv);
  await stowage.apply(failing);
  await stowage.apply(subPaths);
  await stowage.apply(devices);
  await stowage.apply(users);

  await t.test(
    "two containers sharing an emptyDir see each other's files: the processor prints the writer's lines",
    async () => {
      await stowage.kubectl("wait", "pod/shared", "--for=condition=Ready", "--timeout=30s");
      const logs = await eventually(async () => {
        const out = await stowage.kubectl("logs", "shared", "-c", "processor");
        return /^line 5$/m.test(out) ? out : undefined;
      }, 20_000);
      assert.match(logs, /^line 0\nline 1\n/);
      const pod = await stowage.pod("shared");
      assert.equal(pod.status?.phase, "Running");
      for (const c of pod.status?.containerStatuses ?? []) {
        assert.ok(c.state?.running?.startedAt, `${c.name} is running`);
        assert.match(c.containerID ?? "", /^process:\/\/[0-9a-f]{64}$/);
        assert.equal(c.ready, true);
      }
    },
  );

  await t.test("kubectl exec runs a command inside the container: its mounts, not the node's", async () => {
    const out = await stowage.kubectl(
      "exec",
      "shared",
      "-c",
      "processor",
      "--",
      "sh",
      "-c",
      "head -n 1 /logs/app.log; test -e /var/log/app || echo no-writer-mount-here",
    );
    assert.equal(out, "line 0\nno-writer-mount-here\n");
  });

  await t.test("a container exiting 0 under restartPolicy Never makes the pod Succeeded", async () => {
    const pod = await stowage.waitForPhase("done", "Succeeded");
    const terminated = pod.status?.containerStatuses?.[0].state?.terminated;
    assert.equal(terminated?.exitCode, 0);
    assert.equal(terminated?.reason, "Completed");
    assert.equal(await stowage.kubectl("logs", "done"), "all good\n");
    assert.match(await stowage.kubectl("get", "pod", "done"), /^done\s+0\/1\s+Completed\s+0\s/m);
  });

  await t.test("a container exiting 3 under restartPolicy Never makes the pod Failed with exit code 3", async () => {
    const pod = await stowage.waitForPhase("broken", "Failed");
    const terminated = pod.status?.containerStatuses?.[0].state?.terminated;
    assert.equal(terminated?.exitCode, 3);
    assert.equal(terminated?.reason, "Error");
    assert.equal(pod.status?.containerStatuses?.[0].restartCount, 0);
    assert.equal(await stowage.kubectl("logs", "broken"), "failing\n");
    assert.match(await stowage.kubectl("get", "pod", "broken"), /^broken\s+0\/1\s+Error\s+0\s/m);
  });

  await t.test(
    "init containers run to completion in order before the container, which gets its env and workingDir",
    async () => {
      const pod = await stowage.waitForPhase("ordered", "Succeeded");
      assert.deepEqual(
        pod.status?.initContainerStatuses?.map((s) => [s.name, s.state?.terminated?.reason]),
        [
          ["first", "Completed"],
          ["second", "Completed"],
        ],
      );
      assert.equal(
        await stowage.kubectl("logs", "ordered", "-c", "main"),
        "first\nsecond\nhello from ordered (demo) in /work, hello again\n",
      );
    },
  );

  await t.test(
    "a readOnly volumeMount refuses writes inside the container while another mount of it writes",
    async () => {
      await stowage.waitForPhase("readonly", "Succeeded");
      const logs = await stowage.kubectl("logs", "readonly", "-c", "main");
      assert.match(logs, /^sh: 1: cannot create \/config\/new: Read-only file system$/m);
      assert.deepEqual(
        logs.split("\n").filter((l) => !l.startsWith("sh:")),
        ["seeded", "refused", "ok", ""],
      );
    },
  );

  await t.test("a subPath mounts a directory inside the volume, created when missing", async () => {
    await stowage.waitForPhase("subpaths", "Succeeded");
    assert.equal(await stowage.kubectl("logs", "subpaths", "-c", "main"), "only-here\na\n");
  });

  await t.test(
    "a container has the pod's hostname and a /dev of its own; what it writes to /dev/termination-log is its terminated message",
    async () => {
      const pod = await stowage.waitForPhase("devices", "Succeeded");
      assert.equal(
        await stowage.kubectl("logs", "devices"),
        "devices\n4\nfd full null ptmx pts random shm stderr stdin stdout termination-log tty urandom zero \n",
      );
      assert.equal(pod.status?.containerStatuses?.[0].state?.terminated?.message, "finished cleanly\n");
      assert.equal(existsSync("/dev/termination-log"), false, "nothing was written to the node's /dev");
    },
  );

  await t.test(
    "securityContext runAsUser/runAsGroup/supplementalGroups set the process's ids; runAsNonRoot refuses root",
    async () => {
      await stowage.kubectl(
        "wait",
        "pod/users",
        "--for=jsonpath={.status.containerStatuses[0].state.terminated.reason}=Completed",
        "--timeout=30s",
      );
      assert.equal(await stowage.kubectl("logs", "users", "-c", "main"), "1000\n3000\n3000 4000\n1000:3000\n");
      const strict = (await stowage.pod("users")).status?.containerStatuses?.find((c) => c.name === "strict");
      assert.equal(strict?.state?.waiting?.reason, "CreateContainerConfigError");
      assert.match(
        strict?.state?.waiting?.message ?? "",
        /^container's runAsUser breaks non-root policy \(pod: "users_default\(/,
      );
    },
  );

  await t.test(
    "a crashing container under restartPolicy Always is restarted, then backs off (CrashLoopBackOff)",
    async () => {
      const status = await eventually(async () => {
        const c = (await stowage.pod("crashy")).status?.containerStatuses?.[0];
        return c?.state?.waiting?.reason === "CrashLoopBackOff" ? c : undefined;
      }, 20_000);
      assert.ok(status.restartCount >= 1);
      assert.equal(status.lastState?.terminated?.exitCode, 1);
      assert.equal(status.lastState?.terminated?.reason, "Error");
      assert.match(
        status.state?.waiting?.message ?? "",
        /^back-off \d+s restarting failed container=main pod=crashy_default\(/,
      );
      assert.match(
        await stowage.kubectl("get", "pod", "crashy"),
        /^crashy\s+0\/1\s+CrashLoopBackOff\s+\d+ \(\S+ ago\)\s/m,
      );
      assert.equal(await stowage.kubectl("logs", "crashy", "--previous"), "crashing\n");
    },
  );

  await t.test("a command that does not exist fails to start, as a container runtime reports it", async () => {
    const pod = await stowage.waitForPhase("missing", "Failed");
    const terminated = pod.status?.containerStatuses?.[0].state?.terminated;
    assert.equal(terminated?.reason, "StartError");
    assert.equal(terminated?.exitCode, 128);
    assert.equal(terminated?.message, 'exec: "no-such-server": executable file not found in $PATH');
    const events = await stowage.kubectl("get", "events", "--field-selector", "involvedObject.name=missing");
    assert.match(
      events,
      /Warning\s+Failed\s+pod\/missing\s+Error: exec: "no-such-server": executable file not found in \$PATH/,
    );
  });

  await t.test(
    "a container whose configMap is missing waits with CreateContainerConfigError, and starts once it exists",
    async () => {
      await stowage.apply(`
apiVersion: v1
kind: Pod
metadata: {name: configured}
spec:
  restartPolicy: Never
  containers:
    - name: main
      image: busybox
      command: [sh, -c, 'echo "mode=$MODE"']
      env: [{name: MODE, valueFrom: {configMapKeyRef: {name: late, key: mode}}}]
`);
      const waiting = await eventually(async () => {
        const w = (await stowage.pod("configured")).status?.containerStatuses?.[0].state?.waiting;
        return w?.reason === "CreateContainerConfigError" ? w : undefined;
      });
      assert.equal(waiting.message, 'configmap "late" not found');
      assert.match(
        await stowage.kubectl("get", "pod", "configured"),
        /^configured\s+0\/1\s+CreateContainerConfigError\s/m,
      );
      await stowage.kubectl("create", "configmap", "late", "--from-literal=mode=fast");
      await stowage.waitForPhase("configured", "Succeeded");
      assert.equal(await stowage.kubectl("logs", "configured"), "mode=fast\n");
    },
  );
});
