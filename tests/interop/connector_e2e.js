'use strict';
// A STREAM sender (ilp-protocol-stream) for the connector end-to-end test: fetches SPSP
// credentials from a wallet address URL, then pays `amount` (source units) through a
// connector's ILP-over-HTTP endpoint with a peer's bearer token.
// Usage: node connector_e2e.js <input.json> <output.json>
//   input  {spspUrl, forwardedHost, connectorUrl, token, amount}
//   output {sent, delivered, sourceAsset, destinationAsset, destinationScale, error}
const fs = require('fs');
const http = require('http');
const Packet = require('ilp-packet');
const Stream = require('ilp-protocol-stream');

const OCTET_STREAM = 'application/octet-stream';
const REQUEST_TIMEOUT_MS = 30000;
const SCRIPT_TIMEOUT_MS = 60000;
const SEND_TIMEOUT_MS = 30000;

// The ILP plugin interface over ILP over HTTP (outgoing only).
class HttpPlugin {
  constructor({ url, token }) {
    this.url = url;
    this.token = token;
    this.agent = new http.Agent({ keepAlive: true });
    this.connected = false;
  }
  async connect() { this.connected = true; }
  async disconnect() { this.connected = false; this.agent.destroy(); }
  isConnected() { return this.connected; }
  registerDataHandler() {}
  deregisterDataHandler() {}
  sendData(data) {
    return new Promise((resolve, reject) => {
      const req = http.request(this.url, {
        method: 'POST', agent: this.agent, timeout: REQUEST_TIMEOUT_MS,
        headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': OCTET_STREAM },
      }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`ILP over HTTP: status ${res.statusCode}`));
          else resolve(Buffer.concat(chunks));
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('ILP over HTTP: timeout')));
      req.on('error', reject);
      req.end(data);
    });
  }
}

function getJson(url, headers) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode !== 200) reject(new Error(`SPSP: status ${res.statusCode}: ${text}`));
        else resolve(JSON.parse(text));
      });
    }).on('error', reject);
  });
}

async function main() {
  const [inPath, outPath] = process.argv.slice(2);
  const args = JSON.parse(fs.readFileSync(inPath, 'utf8'));
  setTimeout(() => {
    process.stderr.write(`TIMEOUT after ${SCRIPT_TIMEOUT_MS} ms\n`);
    process.exit(3);
  }, SCRIPT_TIMEOUT_MS).unref();

  const spsp = await getJson(args.spspUrl, {
    Accept: 'application/spsp4+json', 'X-Forwarded-Host': args.forwardedHost,
  });
  const plugin = new HttpPlugin({ url: args.connectorUrl, token: args.token });
  const result = { sent: '0', delivered: '0', error: null };
  try {
    const connection = await Stream.createConnection({
      plugin,
      destinationAccount: spsp.destination_account,
      sharedSecret: Buffer.from(spsp.shared_secret, 'base64'),
    });
    result.sourceAsset = connection.sourceAssetCode;
    result.destinationAsset = connection.destinationAssetCode;
    result.destinationScale = connection.destinationAssetScale;
    const stream = connection.createStream();
    try {
      await stream.sendTotal(args.amount, { timeout: SEND_TIMEOUT_MS });
    } catch (err) {
      result.error = String(err && err.message ? err.message : err);
    }
    result.sent = String(stream.totalSent);
    result.delivered = String(connection.totalDelivered);
    await connection.end().catch(() => {});
  } catch (err) {
    result.error = String(err && err.message ? err.message : err);
  } finally {
    await plugin.disconnect();
  }
  fs.writeFileSync(outPath, JSON.stringify(result));
}

void Packet;
main().then(() => process.exit(0), (err) => {
  process.stderr.write(`ERROR ${err && err.stack ? err.stack : err}\n`);
  process.exit(2);
});
