'use strict';
// Checks our Admin API schema with graphql-js, the library upstream Rafiki and its clients use.
// Usage: node admin_schema.js <in.json> <out.json>
// Input: {sdl, operations, upstreamSdl?}. Output: {operationErrors: [...], breaking: [...],
// dangerous: [...]} — graphql-js validation messages for the operations (as integrations send
// them) against our schema, and, when upstream's SDL is given, every change between upstream's
// schema and ours that graphql-js classifies as breaking or dangerous (in both directions:
// a client of upstream must keep working against us, and the reverse).
const fs = require('fs');
const g = require('graphql');

const [inPath, outPath] = process.argv.slice(2);
const input = JSON.parse(fs.readFileSync(inPath, 'utf8'));
const ours = g.buildSchema(input.sdl);
const out = { operationErrors: [], breaking: [], dangerous: [], operations: 0 };
const doc = g.parse(input.operations);
out.operations = doc.definitions.length;
for (const e of g.validate(ours, doc)) out.operationErrors.push(e.message);
if (input.upstreamSdl) {
  const upstream = g.buildSchema(input.upstreamSdl);
  const describe = (c) => `${c.type}: ${c.description}`;
  for (const c of g.findBreakingChanges(upstream, ours)) out.breaking.push(describe(c));
  for (const c of g.findBreakingChanges(ours, upstream)) out.breaking.push('reverse ' + describe(c));
  for (const c of g.findDangerousChanges(upstream, ours)) out.dangerous.push(describe(c));
  for (const c of g.findDangerousChanges(ours, upstream)) out.dangerous.push('reverse ' + describe(c));
}
fs.writeFileSync(outPath, JSON.stringify(out));
