// Unknown-field check: the Kubernetes API server silently drops fields it does not know, so a misspelt key
// (livenesProbe, imagePullPolicyy) would deploy without effect. The JSON schemas allow extra properties; the
// TypeScript interfaces of kubernetes-models do not, so each object is type-checked as an object literal of its
// kind's interface, where TypeScript's excess-property check reports every unknown field at any depth.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const here = dirname(fileURLToPath(import.meta.url));

/** Returns, per object index, the unknown-field or type errors TypeScript found. */
export function unknownFields(objects) {
  // The check file must sit below this folder so that it resolves kubernetes-models from node_modules.
  const folder = mkdtempSync(join(here, ".strict-"));
  try {
    const file = join(folder, "objects.ts");
    const lines = objects.map((object, i) =>
      `import type { I${object.kind} as T${i} } from "kubernetes-models/${object.apiVersion}/${object.kind}";\n` +
      `export const o${i}: T${i} = ${JSON.stringify(object)};`);
    writeFileSync(file, lines.join("\n") + "\n");
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      types: [],
    });
    const errors = objects.map(() => []);
    for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
      const line = diagnostic.file && diagnostic.start !== undefined
        ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line
        : -1;
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, " ").replace(/\s+/g, " ");
      // Two lines per object: its import, then its literal.
      const index = Math.floor(line / 2);
      (errors[index] ?? errors[0]).push(message);
    }
    return errors;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
