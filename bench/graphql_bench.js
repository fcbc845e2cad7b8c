'use strict';
// `make bench`: the graphql-js side of bench/graphql_bench.cpp — the same schema, data, query
// and work per request (parse + validate + execute + JSON.stringify), synchronous resolvers,
// one thread, for N seconds. Prints "<requests/s> <response bytes>".
// Usage: node graphql_bench.js <source dir> <seconds>
const fs = require('fs');
const path = require('path');

const [dir, secondsText] = process.argv.slice(2);
const g = require(path.join(dir, 'tests/interop/node_modules/graphql'));
const schema = g.buildSchema(fs.readFileSync(path.join(dir, 'bench/graphql_bench_schema.graphql'), 'utf8'));
const query = fs.readFileSync(path.join(dir, 'bench/graphql_bench_query.graphql'), 'utf8');
const total = 100;
const createdAt = '2026-01-01T00:00:00.000Z';
const amount = (value) => ({ value, assetCode: 'USD', assetScale: 2 });
const walletAddress = (i) => ({
  id: `wa-${i}`,
  address: `https://ilp.example/wa-${i}`,
  publicName: i % 3 === 0 ? null : `Wallet ${i}`,
  status: i % 2 ? 'INACTIVE' : 'ACTIVE',
  createdAt,
  asset: { id: 'asset-1', code: 'USD', scale: 2, withdrawalThreshold: null, createdAt },
  liquidity: String(i * 1000),
});

schema.getQueryType().getFields().walletAddresses.resolve = (_, { first, after }) => {
  first = first ?? 20;
  const start = after == null ? 0 : parseInt(after.slice(3), 10) + 1;
  const end = Math.min(total, start + Math.max(0, first));
  const edges = [];
  for (let i = start; i < end; ++i) edges.push({ cursor: `wa-${i}`, node: walletAddress(i) });
  return {
    pageInfo: {
      startCursor: start < end ? `wa-${start}` : null,
      endCursor: start < end ? `wa-${end - 1}` : null,
      hasNextPage: end < total,
      hasPreviousPage: start > 0,
    },
    edges,
  };
};
schema.getType('WalletAddress').getFields().incomingPayments.resolve = (wa, { first }) => {
  const edges = [];
  for (let k = 0; k < first; ++k) {
    const id = `ip-${wa.id}-${k}`;
    edges.push({
      cursor: id,
      node: {
        id,
        walletAddressId: wa.id,
        state: 'PENDING',
        incomingAmount: amount('1000'),
        receivedAmount: amount('0'),
        metadata: null,
        createdAt,
        expiresAt: createdAt,
      },
    });
  }
  const endCursor = first > 0 ? `ip-${wa.id}-${first - 1}` : null;
  return { pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor }, edges };
};

const once = () => {
  const document = g.parse(query);
  const errors = g.validate(schema, document);
  if (errors.length) throw errors[0];
  const result = g.execute({ schema, document, variableValues: { first: 20 } });
  const body = JSON.stringify(result);
  if (result.errors) throw new Error(body);
  return body.length;
};
// One second of warm-up so the JIT has compiled the hot paths before measuring.
const warmUntil = process.hrtime.bigint() + 1_000_000_000n;
while (process.hrtime.bigint() < warmUntil) once();

const seconds = Number(secondsText);
const start = process.hrtime.bigint();
const until = start + BigInt(Math.round(seconds * 1e9));
let count = 0;
let bytes = 0;
while (process.hrtime.bigint() < until) {
  bytes = once();
  ++count;
}
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`${Math.round(count / elapsed)} ${bytes}`);
