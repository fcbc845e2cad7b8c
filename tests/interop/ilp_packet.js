'use strict';
// Checks our ILP packet and ILDCP encoding against the JS reference implementations
// (ilp-packet, ilp-protocol-ildcp). Usage: node ilp_packet.js <cases.json> <results.json>
//
// Each case is {name, kind, hex, fields}: `hex` is the packet as our encoder wrote it and
// `fields` what it holds. For each case this decodes `hex`, re-encodes what it decoded, and
// encodes `fields` from scratch; the caller compares all three with its own bytes and fields.
// Kind "invalid" is a packet both sides must refuse. One process handles the whole corpus.
const fs = require('fs');
const Packet = require('ilp-packet');
const Ildcp = require('ilp-protocol-ildcp');

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const unhex = (text) => Buffer.from(text, 'hex');

const kinds = {
  prepare(bytes, f) {
    const p = Packet.deserializeIlpPrepare(bytes);
    return {
      decoded: {
        amount: String(p.amount),
        expiresAt: p.expiresAt.toISOString(),
        executionCondition: hex(p.executionCondition),
        destination: p.destination,
        data: hex(p.data),
      },
      reencoded: hex(Packet.serializeIlpPrepare(p)),
      fromFields: hex(
        Packet.serializeIlpPrepare({
          amount: f.amount,
          expiresAt: new Date(f.expiresAt),
          executionCondition: unhex(f.executionCondition),
          destination: f.destination,
          data: unhex(f.data),
        }),
      ),
    };
  },
  fulfill(bytes, f) {
    const p = Packet.deserializeIlpFulfill(bytes);
    return {
      decoded: { fulfillment: hex(p.fulfillment), data: hex(p.data) },
      reencoded: hex(Packet.serializeIlpFulfill(p)),
      fromFields: hex(
        Packet.serializeIlpFulfill({ fulfillment: unhex(f.fulfillment), data: unhex(f.data) }),
      ),
    };
  },
  reject(bytes, f) {
    const p = Packet.deserializeIlpReject(bytes);
    return {
      decoded: { code: p.code, triggeredBy: p.triggeredBy, message: p.message, data: hex(p.data) },
      reencoded: hex(Packet.serializeIlpReject(p)),
      fromFields: hex(
        Packet.serializeIlpReject({
          code: f.code,
          triggeredBy: f.triggeredBy,
          message: f.message,
          data: unhex(f.data),
        }),
      ),
    };
  },
  ildcp_request(bytes, f) {
    const p = Ildcp.deserializeIldcpRequest(bytes);
    if (p.data.length !== 0) throw new Error('ILDCP request with data');
    return {
      decoded: { expiresAt: p.expiresAt.toISOString() },
      reencoded: hex(Ildcp.serializeIldcpRequest(p)),
      fromFields: hex(Ildcp.serializeIldcpRequest({ expiresAt: new Date(f.expiresAt) })),
    };
  },
  ildcp_response(bytes, f) {
    const p = Ildcp.deserializeIldcpResponse(bytes);
    return {
      decoded: p,
      reencoded: hex(Ildcp.serializeIldcpResponse(p)),
      fromFields: hex(Ildcp.serializeIldcpResponse(f)),
    };
  },
  invalid(bytes) {
    Packet.deserializeIlpPacket(bytes);
    return { decoded: null };
  },
};

function run(c) {
  try {
    const handler = kinds[c.kind];
    if (!handler) throw new Error('unknown kind ' + c.kind);
    return { name: c.name, ok: true, ...handler(unhex(c.hex), c.fields || {}) };
  } catch (e) {
    return { name: c.name, ok: false, error: String((e && e.message) || e) };
  }
}

const [input, output] = process.argv.slice(2);
const cases = JSON.parse(fs.readFileSync(input, 'utf8'));
fs.writeFileSync(output, JSON.stringify(cases.map(run)));
