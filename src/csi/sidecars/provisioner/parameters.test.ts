// StorageClass parameters as external-provisioner reads them; each row is a case from upstream's controller_test.go.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  fsTypeOf,
  nodePublishSecretParams,
  provisionerSecretParams,
  removePrefixedParameters,
  secretReference,
  type SecretParams,
} from "./parameters.js";

const claim = {
  metadata: { name: "data", namespace: "team-a", annotations: { "example.com/key": "from-annotation" } },
};

test("csi.storage.k8s.io/ keys are stripped before CreateVolume; an unknown one is refused", () => {
  assert.deepEqual(
    removePrefixedParameters({
      "csi.storage.k8s.io/fstype": "xfs",
      "csi.storage.k8s.io/provisioner-secret-name": "s",
      "csi.storage.k8s.io/provisioner-secret-namespace": "ns",
      csiProvisionerSecretName: "kept",
      color: "blue",
    }),
    { csiProvisionerSecretName: "kept", color: "blue" },
  );
  assert.throws(
    () => removePrefixedParameters({ "csi.storage.k8s.io/bogus": "x" }),
    /found unknown parameter key "csi\.storage\.k8s\.io\/bogus" with reserved namespace csi\.storage\.k8s\.io\//,
  );
});

interface FsTypeCase {
  name: string;
  parameters: Record<string, string>;
  want?: string;
  defaultFsType?: string;
  error?: RegExp;
}
const fsTypeCases: FsTypeCase[] = [
  { name: "the prefixed key", parameters: { "csi.storage.k8s.io/fstype": "xfs" }, want: "xfs" },
  { name: "the deprecated key, any case", parameters: { FSType: "ext3" }, want: "ext3" },
  { name: "none: the default", parameters: {}, want: "ext4", defaultFsType: "ext4" },
  {
    name: "both: an error",
    parameters: { fstype: "ext3", "csi.storage.k8s.io/fstype": "xfs" },
    error: /fstype specified in parameters with both "fstype" and "csi\.storage\.k8s\.io\/fstype" keys/,
  },
];
for (const c of fsTypeCases) {
  test(`fstype from ${c.name}`, () => {
    if (c.error) assert.throws(() => fsTypeOf(c.parameters), c.error);
    else assert.equal(fsTypeOf(c.parameters, c.defaultFsType), c.want);
  });
}

interface SecretCase {
  name: string;
  params: SecretParams;
  parameters: Record<string, string>;
  want?: { name: string; namespace: string };
  error?: RegExp;
}
const secretCases: SecretCase[] = [
  {
    name: "templates resolve ${pvc.name}, ${pvc.namespace} and ${pv.name}",
    params: provisionerSecretParams,
    parameters: {
      "csi.storage.k8s.io/provisioner-secret-name": "${pvc.name}-${pv.name}",
      "csi.storage.k8s.io/provisioner-secret-namespace": "${pvc.namespace}",
    },
    want: { name: "data-pvc-1", namespace: "team-a" },
  },
  {
    name: "a claim annotation names the secret",
    params: nodePublishSecretParams,
    parameters: {
      "csi.storage.k8s.io/node-publish-secret-name": "${pvc.annotations['example.com/key']}",
      "csi.storage.k8s.io/node-publish-secret-namespace": "fixed",
    },
    want: { name: "from-annotation", namespace: "fixed" },
  },
  {
    name: "the default secret serves every purpose without its own",
    params: nodePublishSecretParams,
    parameters: { "csi.storage.k8s.io/secret-name": "shared", "csi.storage.k8s.io/secret-namespace": "kube-system" },
    want: { name: "shared", namespace: "kube-system" },
  },
  { name: "no secret named: none", params: provisionerSecretParams, parameters: {}, want: undefined },
  {
    name: "the namespace cannot use the claim's name (the claim's user controls it)",
    params: provisionerSecretParams,
    parameters: {
      "csi.storage.k8s.io/provisioner-secret-name": "s",
      "csi.storage.k8s.io/provisioner-secret-namespace": "${pvc.name}",
    },
    error: /error resolving value "\$\{pvc\.name\}": invalid tokens: \["pvc\.name"\]/,
  },
  {
    name: "a name without a namespace",
    params: provisionerSecretParams,
    parameters: { "csi.storage.k8s.io/provisioner-secret-name": "s" },
    error: /either name and namespace for Provisioner secrets specified, Both must be specified/,
  },
  {
    name: "a resolved name that is not a valid secret name",
    params: provisionerSecretParams,
    parameters: {
      "csi.storage.k8s.io/provisioner-secret-name": "${pvc.name}_x",
      "csi.storage.k8s.io/provisioner-secret-namespace": "ns",
    },
    error: /"\$\{pvc\.name\}_x" resolved to "data_x" which is not a valid secret name/,
  },
];
for (const c of secretCases) {
  test(`secret reference: ${c.name}`, () => {
    if (c.error) assert.throws(() => secretReference(c.params, c.parameters, "pvc-1", claim), c.error);
    else assert.deepEqual(secretReference(c.params, c.parameters, "pvc-1", claim), c.want);
  });
}
