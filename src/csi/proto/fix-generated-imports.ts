// proto-loader-gen-types writes extensionless relative imports ('./csi/v1/Volume'), which TypeScript's NodeNext
// resolution refuses in an ESM package. This adds the `.js` suffix to every relative import in src/csi/generated,
// so the generated types compile under our tsconfig unchanged. Run by `npm run gen:csi` after the generator.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../generated", import.meta.url));

function rewrite(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      rewrite(path);
    } else if (entry.name.endsWith(".ts")) {
      const text = readFileSync(path, "utf8");
      const fixed = text.replace(/from '(\.{1,2}\/[^']+?)(?<!\.js)'/g, "from '$1.js'");
      if (fixed !== text) writeFileSync(path, fixed);
    }
  }
}

rewrite(root);
