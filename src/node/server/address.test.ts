// --kubelet-address as the kubelet's --address and --port in one: where it listens, and the InternalIP it implies.
import assert from "node:assert/strict";
import { test } from "node:test";
import { KubeletAddressError, kubeletListenAddress } from "./address.js";

const cases = [
  { text: undefined, want: {} },
  { text: "127.0.0.1", want: { address: "127.0.0.1:0", nodeIP: "127.0.0.1" } },
  { text: "10.0.0.7:10250", want: { address: "10.0.0.7:10250", nodeIP: "10.0.0.7" } },
  { text: "0.0.0.0:10250", want: { address: "0.0.0.0:10250", nodeIP: undefined } },
  { text: "::1", want: { address: "[::1]:0", nodeIP: "::1" } },
  { text: "[fd00::7]:10250", want: { address: "[fd00::7]:10250", nodeIP: "fd00::7" } },
  { text: "[::]:10250", want: { address: "[::]:10250", nodeIP: undefined } },
  { text: "localhost:10250", want: { address: "localhost:10250", nodeIP: undefined } },
];
for (const c of cases) {
  test(`kubelet address ${JSON.stringify(c.text)}`, () => assert.deepEqual(kubeletListenAddress(c.text), c.want));
}

test("a kubelet address that is not host[:port] is refused, saying what is wanted", () => {
  for (const text of ["", ":10250", "127.0.0.1:http", "127.0.0.1:70000", "[::1]:x"])
    assert.throws(() => kubeletListenAddress(text), KubeletAddressError, text);
});
