// Builds the live page into dist/ (index.html, assets/app.js, assets/app.css), which the coordinator embeds.
// The output is deterministic, so a test can rebuild it and compare with the committed copy:
//   node build.mjs            writes dist/
//   node build.mjs --out DIR  writes DIR instead
import { build } from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const outIndex = process.argv.indexOf("--out");
const out = outIndex > 0 ? process.argv[outIndex + 1] : join(root, "dist");

await rm(out, { recursive: true, force: true });
await mkdir(join(out, "assets"), { recursive: true });
await build({
  entryPoints: { app: join(root, "src", "main.ts") },
  outdir: join(out, "assets"),
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2022"],
  legalComments: "eof",
  logLevel: "warning",
});
await copyFile(join(root, "src", "index.html"), join(out, "index.html"));
