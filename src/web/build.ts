// Builds the dashboard: src/web/app bundled by esbuild into <outDir>/assets with content-hashed names (cached for a
// year by browsers), and <outDir>/index.html naming them (never cached, so a new build is picked up at once).
// `npm run build` writes dist/web; the apiserver serves whatever directory cli hands it.
import { build } from "esbuild";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const entry = fileURLToPath(new URL("./app/main.tsx", import.meta.url));

/** Bundles the dashboard into outDir (emptied first); returns the hashed asset names index.html loads. */
export async function buildDashboard(outDir: string): Promise<{ script: string; style: string }> {
  await rm(outDir, { recursive: true, force: true });
  const assets = join(outDir, "assets");
  await mkdir(assets, { recursive: true });
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "esm",
    target: ["es2022"],
    jsx: "automatic",
    jsxImportSource: "preact",
    entryNames: "[name]-[hash]",
    outdir: assets,
    metafile: true,
    logLevel: "warning",
    tsconfig: fileURLToPath(new URL("./app/tsconfig.json", import.meta.url)),
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => relative(assets, file));
  const script = outputs.find((f) => f.endsWith(".js"));
  const style = outputs.find((f) => f.endsWith(".css"));
  if (!script || !style) throw new Error(`esbuild wrote ${outputs.join(", ")}: want one .js and one .css`);
  await writeFile(join(outDir, "index.html"), indexHtml(basename(script), basename(style)));
  return { script, style };
}

const indexHtml = (script: string, style: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>stowage dashboard</title>
<link rel="stylesheet" href="assets/${style}">
<script type="module" src="assets/${script}"></script>
</head>
<body><div id="app"></div></body>
</html>
`;

// `node --import tsx src/web/build.ts <outDir>` (npm run build)
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outDir = process.argv[2] ?? "dist/web";
  const { script, style } = await buildDashboard(outDir);
  console.log(`dashboard built in ${outDir}: ${script}, ${style}`);
}
