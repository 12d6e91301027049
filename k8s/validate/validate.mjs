#!/usr/bin/env node
// Validates Kubernetes objects against the API's schemas, offline, in two passes:
//  1. the JSON-schema validator that kubernetes-models generated from the Kubernetes OpenAPI document for the
//     object's apiVersion and kind (types, required fields, enums, formats); a kind with no schema fails;
//  2. an unknown-field check (strict.mjs), which the OpenAPI schemas alone do not make.
//
//   kubectl kustomize k8s/overlays/dev | node k8s/validate/validate.mjs     (or: validate.mjs FILE...)
//   --json OUT  also writes the objects, as a JSON array, to OUT (for tests that inspect them)
//
// Prints one line per object and exits 1 if any object is invalid (or none was given), 2 on unreadable input.
import { readFileSync, writeFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { unknownFields } from "./strict.mjs";

async function schemaErrors(object) {
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    return ["the object has no apiVersion and kind"];
  }
  let model;
  try {
    // "v1" is the core group; "apps/v1" and "networking.k8s.io/v1" name their group.
    model = (await import(`kubernetes-models/${apiVersion}/${kind}`))[kind];
  } catch {
    return [`no schema for ${apiVersion} ${kind}`];
  }
  try {
    new model(object).validate();
    return [];
  } catch (error) {
    return [error.message];
  }
}

const args = process.argv.slice(2);
const jsonIndex = args.indexOf("--json");
const jsonOut = jsonIndex >= 0 ? args.splice(jsonIndex, 2)[1] : null;
let text;
try {
  text = args.length === 0 ? readFileSync(0, "utf8") : args.map((file) => readFileSync(file, "utf8")).join("\n---\n");
} catch (error) {
  console.error(`cannot read the manifests: ${error.message}`);
  process.exit(2);
}

const objects = [];
for (const document of parseAllDocuments(text)) {
  if (document.errors.length > 0) {
    console.error(`YAML error: ${document.errors[0].message}`);
    process.exit(2);
  }
  const object = document.toJS();
  if (object !== null && object !== undefined) objects.push(object);
}

const errors = [];
for (const object of objects) errors.push(await schemaErrors(object));
// Only objects whose kind has a schema have an interface to check against.
const schemaValid = objects.map((_, i) => i).filter((i) => errors[i].length === 0);
const strict = unknownFields(schemaValid.map((i) => objects[i]));
schemaValid.forEach((i, k) => errors[i].push(...strict[k]));

let invalid = 0;
objects.forEach((object, i) => {
  const name = `${object.apiVersion ?? "?"} ${object.kind ?? "?"}/${object.metadata?.name ?? "?"}`;
  if (errors[i].length === 0) {
    console.log(`valid   ${name}`);
  } else {
    invalid++;
    console.log(`INVALID ${name}: ${errors[i].join("; ")}`);
  }
});
console.log(`${objects.length} objects checked, ${invalid} invalid`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(objects));
process.exit(invalid > 0 || objects.length === 0 ? 1 : 0);
