'use strict';
// Runs the GraphQL conformance corpus through graphql-js, the reference implementation our
// engine (src/graphql) is compared with. Usage: node graphql_conformance.js <in.json> <out.json>
//
// Input: {sdl, data, cases: [{query, variables, operationName}], introspectionQuery,
// ourIntrospection}. For each case this parses, validates and (when valid) executes with the
// same resolvers the C++ side registers, and reports {verdict, messages, result}. It also
// checks our introspection result: buildClientSchema must accept it, and printSchema of it must
// equal printSchema of the SDL. One process handles the whole corpus.
const fs = require('fs');
const g = require('graphql');

const [inPath, outPath] = process.argv.slice(2);
const input = JSON.parse(fs.readFileSync(inPath, 'utf8'));
const data = input.data;
const nodes = data.nodes;
const speciesType = { DOG: 'Dog', CAT: 'Cat', PARROT: 'Parrot' };

const schema = g.buildSchema(input.sdl);

// --- custom scalars, as the C++ side defines them ---
const fail = (message) => {
  throw new Error(message);
};
const uint8 = (v) =>
  Number.isInteger(v) && v >= 0 && v <= 255 ? v : fail(`UInt8 cannot represent value: ${JSON.stringify(v)}`);
const bigint = (v) => {
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return v;
  if (Number.isInteger(v)) return String(v);
  return fail(`BigInt cannot represent value: ${JSON.stringify(v)}`);
};
const jsonObject = (v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? v : fail('JSONObject cannot represent a non-object value');
Object.assign(schema.getType('UInt8'), {
  serialize: uint8,
  parseValue: uint8,
  parseLiteral: (ast) => (ast.kind === g.Kind.INT ? uint8(parseInt(ast.value, 10)) : fail('UInt8 cannot represent a non-integer literal')),
});
Object.assign(schema.getType('BigInt'), {
  serialize: bigint,
  parseValue: (v) => bigint(v),
  parseLiteral: (ast) =>
    ast.kind === g.Kind.INT || ast.kind === g.Kind.STRING ? bigint(ast.value) : fail('BigInt cannot represent this literal'),
});
Object.assign(schema.getType('JSONObject'), {
  serialize: jsonObject,
  parseValue: jsonObject,
  parseLiteral: (ast, variables) =>
    ast.kind === g.Kind.OBJECT ? g.valueFromASTUntyped(ast, variables) : fail('JSONObject cannot represent a non-object literal'),
});

// --- resolvers, as the C++ side registers them ---
const resolvers = {
  Query: {
    node: (_, { id }) => nodes[id] ?? null,
    person: (_, { id }) => (nodes[id] && nodes[id].__typename === 'Person' ? nodes[id] : null),
    people: (_, { first, after, order }) => {
      const ids = order === 'DESC' ? [...data.people].reverse() : data.people;
      const start = after == null ? 0 : ids.indexOf(after) + 1;
      const count = Math.max(0, first ?? 0);
      const page = ids.slice(start, start + count);
      return {
        edges: page.map((id) => ({ cursor: id, node: nodes[id] })),
        pageInfo: { hasNextPage: start + count < ids.length, endCursor: page.length ? page[page.length - 1] : null },
        totalCount: ids.length,
      };
    },
    pets: (_, { filter }) =>
      data.pets
        .map((id) => nodes[id])
        .filter((p) => !filter || filter.species == null || filter.species.some((s) => speciesType[s] === p.__typename))
        .filter((p) => !filter || filter.nameContains == null || p.name.includes(filter.nameContains)),
    search: (_, { text }) => [...data.people, ...data.pets].map((id) => nodes[id]).filter((n) => n.name.includes(text)),
    echo: (_, args) => ({ ...args }),
    echoRequired: (_, args) => ({ ...args }),
    fail: () => {
      throw new g.GraphQLError('boom', { extensions: { code: 'BOOM' } });
    },
    failNonNull: () => {
      throw new g.GraphQLError('boom non-null', { extensions: { code: 'BOOM' } });
    },
  },
  Person: {
    pets: (p, { species, first }) =>
      p.petIds
        .map((id) => nodes[id])
        .filter((pet) => species == null || speciesType[species] === pet.__typename)
        .slice(0, Math.max(0, first)),
    friends: (p) => (p.friendIds == null ? null : p.friendIds.map((id) => nodes[id] ?? null)),
    bestFriend: (p) => (p.bestFriendId == null ? null : nodes[p.bestFriendId] ?? null),
  },
  Mutation: {
    createPet: (_, { input }) => ({
      __typename: speciesType[input.species] ?? 'Dog',
      id: 'new-' + input.name,
      name: input.name,
      ownerId: input.ownerId ?? null,
      sound: null,
      lives: 1,
      words: input.tags ?? [],
    }),
    deletePet: (_, { id }) => data.pets.includes(id),
    failMutation: () => {
      throw new g.GraphQLError('mutation failed', { extensions: { code: 'FAILED' } });
    },
    rename: (_, { id, name }) => (nodes[id] && nodes[id].__typename === 'Person' ? { ...nodes[id], name } : null),
  },
};
for (const pet of ['Dog', 'Cat', 'Parrot']) {
  resolvers[pet] = {
    owner: (p) => (p.ownerId == null ? null : nodes[p.ownerId] ?? null),
    sound: (p, { loud }) => (p.sound == null ? null : loud ? p.sound.toUpperCase() + '!' : p.sound),
  };
}
for (const [typeName, fields] of Object.entries(resolvers)) {
  const type = schema.getType(typeName);
  for (const [field, resolve] of Object.entries(fields)) type.getFields()[field].resolve = resolve;
}

// --- the corpus ---
const results = input.cases.map((c) => {
  let document;
  try {
    document = g.parse(c.query);
  } catch (error) {
    return { verdict: 'syntax', messages: [error.message] };
  }
  const errors = g.validate(schema, document);
  if (errors.length) return { verdict: 'invalid', messages: errors.map((e) => e.message) };
  const result = g.executeSync({
    schema,
    document,
    rootValue: data.root,
    variableValues: c.variables ?? undefined,
    operationName: c.operationName ?? undefined,
  });
  return { verdict: 'valid', result: JSON.parse(JSON.stringify(result)) };
});

// --- introspection ---
const introspection = {};
introspection.reference = JSON.parse(JSON.stringify(g.graphqlSync({ schema, source: input.introspectionQuery })));
introspection.printedSdl = g.printSchema(schema);
try {
  const client = g.buildClientSchema(input.ourIntrospection.data);
  introspection.printedOurs = g.printSchema(client);
  introspection.clientSchemaErrors = g.validateSchema(client).map((e) => e.message);
} catch (error) {
  introspection.buildError = String(error.message);
}

// --- other schemas (the upstream Admin APIs): our introspection must print as their SDL ---
const others = (input.otherSchemas ?? []).map((other) => {
  const out = { name: other.name };
  try {
    const reference = g.buildSchema(other.sdl);
    out.printedSdl = g.printSchema(reference);
    out.reference = JSON.parse(JSON.stringify(g.graphqlSync({ schema: reference, source: input.introspectionQuery })));
    const client = g.buildClientSchema(other.ourIntrospection.data);
    out.printedOurs = g.printSchema(client);
  } catch (error) {
    out.buildError = String(error.message);
  }
  return out;
});

fs.writeFileSync(outPath, JSON.stringify({ cases: results, introspection, others }));
