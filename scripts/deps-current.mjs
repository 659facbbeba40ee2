#!/usr/bin/env node
// Exit 0 when node_modules holds what package-lock.json asks for, 1 when `npm ci` is needed.
// Compares contents, not file times: npm's hidden lockfile (node_modules/.package-lock.json) lists
// every installed package with its version, so each one must match the lockfile, and every package
// the lockfile requires (optional ones aside: other platforms' binaries) must be installed. A git
// checkout, a copy or a hard-linked node_modules changes times without changing what is installed.
import { readFileSync } from 'node:fs';

function packages(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8')).packages ?? {};
  } catch {
    return undefined;
  }
}

const wanted = packages('package-lock.json');
const installed = packages('node_modules/.package-lock.json');
if (!wanted || !installed) process.exit(1);
for (const [path, entry] of Object.entries(installed)) {
  if (wanted[path]?.version !== entry.version) process.exit(1);
}
for (const [path, entry] of Object.entries(wanted)) {
  if (path === '' || entry.optional || entry.link) continue;
  if (!installed[path]) process.exit(1);
}
process.exit(0);
