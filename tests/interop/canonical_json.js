'use strict';
// Checks our JSON canonicalisation (the Admin API signature payload) against json-canonicalize,
// the package upstream signs with. Usage: node canonical_json.js <texts.json> <results.json>
//
// Input: an array of JSON texts. Output: for each, the canonical form of JSON.parse(text), or
// null when JSON.parse refuses the text.
const fs = require('fs');
const { canonicalize } = require('json-canonicalize');

const texts = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const results = texts.map((text) => {
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return null;
  }
  return canonicalize(value);
});
fs.writeFileSync(process.argv[3], JSON.stringify(results));
