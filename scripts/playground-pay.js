'use strict';
// Sends money to a wallet address of the playground over ILP with a STREAM sender
// (ilp-protocol-stream, the JS reference implementation), entering Cloud Nine Wallet's connector
// as the seeded peer "playground-sender".
//   node scripts/playground-pay.js <wallet address URL, e.g. http://localhost:4000/pfry> <amount>
// Environment: CONNECTOR_URL (default http://localhost:3002), CONNECTOR_TOKEN (default
// playground-sender-token). Needs the npm packages of tests/interop (`npm ci --prefix tests/interop`).
const path = require('path');
const http = require('http');

const modules = path.join(__dirname, '..', 'tests', 'interop', 'node_modules');
const Stream = require(path.join(modules, 'ilp-protocol-stream'));

const [walletAddress, amountText] = process.argv.slice(2);
if (!walletAddress || !/^\d+$/.test(amountText || '')) {
  console.error('usage: node scripts/playground-pay.js <wallet address URL> <amount in minor units>');
  process.exit(2);
}
const connectorUrl = process.env.CONNECTOR_URL || 'http://localhost:3002';
const token = process.env.CONNECTOR_TOKEN || 'playground-sender-token';
const OCTET_STREAM = 'application/octet-stream';

function request(url, options, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, options, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

// The ILP plugin interface over ILP over HTTP: one POST per Prepare with a bearer token.
const agent = new http.Agent({ keepAlive: true });
const plugin = {
  connected: false,
  async connect() { this.connected = true; },
  async disconnect() { this.connected = false; agent.destroy(); },
  isConnected() { return this.connected; },
  registerDataHandler() {},
  deregisterDataHandler() {},
  async sendData(data) {
    const res = await request(connectorUrl, {
      method: 'POST', agent,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': OCTET_STREAM, Accept: OCTET_STREAM },
    }, data);
    if (res.status !== 200) throw new Error(`connector answered HTTP ${res.status}: ${res.body}`);
    return res.body;
  },
};

(async () => {
  const spsp = await request(walletAddress, { headers: { Accept: 'application/spsp4+json' } });
  if (spsp.status !== 200) throw new Error(`SPSP query answered HTTP ${spsp.status}: ${spsp.body}`);
  const { destination_account: destination, shared_secret: secret } = JSON.parse(spsp.body);
  const connection = await Stream.createConnection({
    plugin, destinationAccount: destination, sharedSecret: Buffer.from(secret, 'base64'),
  });
  const stream = connection.createStream();
  await stream.sendTotal(amountText, { timeout: 30000 });
  await connection.end();
  await plugin.disconnect();
  console.log(`sent ${stream.totalSent} ${connection.sourceAssetCode}, delivered ` +
              `${connection.totalDelivered} ${connection.destinationAssetCode || ''} to ${walletAddress}`);
})().catch((err) => {
  console.error(`payment failed: ${err && err.message}`);
  process.exit(1);
});
