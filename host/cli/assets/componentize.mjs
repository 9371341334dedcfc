// Wask's JavaScript builder: componentize-js with the features the host cannot provide off.
//
// usage: node wask-build.mjs ENTRY.js WIT_DIR WORLD OUT.wasm
//
// Written next to componentize-js's node_modules by `host build`, which generates
// ENTRY.js. The host gives tasks stdio, clocks and randomness, but no HTTP, so the
// `http` and `fetch-event` features are disabled: a component that imported
// wasi:http could not be instantiated.
import { componentize } from '@bytecodealliance/componentize-js';
import { writeFile } from 'node:fs/promises';

const [sourcePath, witPath, worldName, out] = process.argv.slice(2);
if (!out) {
  console.error('usage: node wask-build.mjs ENTRY.js WIT_DIR WORLD OUT.wasm');
  process.exit(2);
}
try {
  const { component } = await componentize({
    sourcePath,
    witPath,
    worldName,
    disableFeatures: ['http', 'fetch-event'],
  });
  await writeFile(out, component);
} catch (e) {
  console.error(`error: ${e && e.message ? e.message : e}`);
  process.exit(1);
}
