'use strict';
// STREAM and SPSP against the JS reference implementations, across ILP over HTTP on loopback.
// Usage: node stream_interop.js <scenario> <args JSON>. The C++ test reads stderr lines:
// `READY <json>` once the JS side is listening, `RESULT <json>` when it is done.
//
//   js_server  an ilp-protocol-stream server; prints READY {port, token, destination,
//              sharedSecret}, counts the money that arrives, and on SIGTERM prints
//              RESULT {received, connections, closed}.
//   js_client  an ilp-protocol-stream client paying `amount` to {destination, sharedSecret}
//              through our ILP-over-HTTP endpoint {url, token}; RESULT {sent, delivered}.
//   pay        @interledger/pay: setupPayment on our SPSP endpoint (`spspPort`, path `path`),
//              startQuote and pay `amount` through {url, token}, then closeConnection;
//              RESULT {quote, sent, delivered, error, asset}.
//
// ILP over HTTP (synchronous, as Rafiki speaks it) is the small plugin below: one POST per
// Prepare with a bearer token, the Fulfill or Reject as the 200 body.
const http = require('http');
const crypto = require('crypto');
const Packet = require('ilp-packet');
const Ildcp = require('ilp-protocol-ildcp');
const Stream = require('ilp-protocol-stream');
const Pay = require('@interledger/pay');

const OCTET_STREAM = 'application/octet-stream';
const REQUEST_TIMEOUT_MS = 30000;
const SCENARIO_TIMEOUT_MS = 60000;

const report = (tag, value) =>
  process.stderr.write(`${tag} ${JSON.stringify(value, (k, v) => (typeof v === 'bigint' ? String(v) : v))}\n`);

// The ILP plugin interface (connect, disconnect, isConnected, sendData, registerDataHandler,
// deregisterDataHandler) over ILP over HTTP.
//   outgoing: {url, token}   where Prepares go (without it, only ILDCP is answered, from `ildcp`)
//   incoming: {token}        serve Prepares on 127.0.0.1 (port chosen by the OS) with this token
class HttpPlugin {
  constructor({ outgoing, incoming, ildcp }) {
    this.outgoing = outgoing;
    this.incoming = incoming;
    this.ildcp = ildcp;
    this.agent = new http.Agent({ keepAlive: true });
    this.handler = undefined;
    this.connected = false;
  }

  async connect() {
    if (this.connected) return;
    if (this.incoming) {
      this.server = http.createServer((req, res) => this.serve(req, res));
      await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
      this.port = this.server.address().port;
    }
    this.connected = true;
  }

  async disconnect() {
    this.connected = false;
    this.agent.destroy();
    if (this.server) await new Promise((resolve) => this.server.close(resolve));
  }

  isConnected() {
    return this.connected;
  }

  registerDataHandler(handler) {
    this.handler = handler;
  }

  deregisterDataHandler() {
    this.handler = undefined;
  }

  async sendData(data) {
    if (!this.outgoing) {
      const prepare = Packet.deserializeIlpPrepare(data);
      if (prepare.destination === 'peer.config' && this.ildcp) {
        return Ildcp.serializeIldcpResponse(this.ildcp);
      }
      return Packet.serializeIlpReject({
        code: 'F02', triggeredBy: '', message: 'no route', data: Buffer.alloc(0),
      });
    }
    return new Promise((resolve, reject) => {
      const req = http.request(this.outgoing.url, {
        method: 'POST',
        agent: this.agent,
        timeout: REQUEST_TIMEOUT_MS,
        headers: {
          Authorization: `Bearer ${this.outgoing.token}`,
          'Content-Type': OCTET_STREAM,
          Accept: OCTET_STREAM,
        },
      }, (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
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

  serve(req, res) {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', async () => {
      const auth = (req.headers.authorization || '').split(' ');
      if (auth.length !== 2 || auth[0].toLowerCase() !== 'bearer' || auth[1] !== this.incoming.token) {
        res.writeHead(401).end('Access Denied - Invalid Token');
        return;
      }
      if (!this.handler) {
        res.writeHead(503).end('no data handler');
        return;
      }
      try {
        const reply = await this.handler(Buffer.concat(chunks));
        res.writeHead(200, { 'Content-Type': OCTET_STREAM }).end(reply);
      } catch (err) {
        res.writeHead(500).end(String(err && err.message));
      }
    });
  }
}

async function jsServer(args) {
  const token = crypto.randomBytes(32).toString('hex');
  const plugin = new HttpPlugin({
    incoming: { token },
    ildcp: { clientAddress: args.address, assetCode: args.assetCode, assetScale: args.assetScale },
  });
  const server = await Stream.createServer({ plugin, serverSecret: crypto.randomBytes(32) });
  let received = 0n;
  let connections = 0;
  let closed = 0;
  server.on('connection', (connection) => {
    connections += 1;
    connection.on('stream', (stream) => {
      stream.setReceiveMax('18446744073709551615');
      stream.on('money', (amount) => {
        received += BigInt(amount);
      });
    });
    connection.on('end', () => {
      closed += 1;
    });
  });
  const { destinationAccount, sharedSecret } = server.generateAddressAndSecret();
  process.on('SIGTERM', () => {
    report('RESULT', { received, connections, closed });
    process.exit(0);
  });
  report('READY', {
    port: plugin.port, token, destination: destinationAccount,
    sharedSecret: sharedSecret.toString('base64'),
  });
  await new Promise(() => {}); // until SIGTERM (or the scenario timeout)
}

async function jsClient(args) {
  const plugin = new HttpPlugin({ outgoing: { url: args.url, token: args.token } });
  const connection = await Stream.createConnection({
    plugin,
    destinationAccount: args.destination,
    sharedSecret: Buffer.from(args.sharedSecret, 'base64'),
  });
  const stream = connection.createStream();
  await stream.sendTotal(args.amount);
  const sent = stream.totalSent;
  await connection.end();
  await plugin.disconnect();
  report('RESULT', {
    sent, delivered: connection.totalDelivered, sourceAsset: connection.sourceAssetCode,
    destinationAsset: connection.destinationAssetCode, destinationScale: connection.destinationAssetScale,
  });
}

async function payScenario(args) {
  // @interledger/pay refuses account URLs with a port, so the test's SPSP host name
  // (spsp.localhost, port 80 implied) is mapped to the loopback port our server listens on.
  const spspAgent = new http.Agent();
  spspAgent.createConnection = (options, callback) =>
    require('net').createConnection({ host: '127.0.0.1', port: args.spspPort }, callback);
  http.globalAgent = spspAgent;

  const plugin = new HttpPlugin({ outgoing: { url: args.url, token: args.token } });
  const result = { quote: null, sent: '0', delivered: '0', error: null, asset: null };
  try {
    const destination = await Pay.setupPayment({
      plugin, destinationAccount: `http://spsp.localhost${args.path}`,
    });
    result.asset = destination.destinationAsset;
    result.destinationAddress = destination.destinationAddress;
    let quote;
    try {
      quote = await Pay.startQuote({
        plugin, destination, amountToSend: args.amount,
        sourceAsset: { code: args.sourceAssetCode, scale: args.sourceAssetScale },
      });
    } catch (err) {
      result.error = `quote: ${err && err.message ? err.message : err}`;
      await Pay.closeConnection(plugin, destination);
      return result;
    }
    result.quote = {
      maxSourceAmount: quote.maxSourceAmount, minDeliveryAmount: quote.minDeliveryAmount,
      maxPacketAmount: quote.maxPacketAmount,
    };
    const progress = await Pay.pay({ plugin, destination, quote });
    result.sent = progress.amountSent;
    result.delivered = progress.amountDelivered;
    if (progress.error) result.error = `pay: ${progress.error}`;
    await Pay.closeConnection(plugin, destination);
  } catch (err) {
    result.error = `setup: ${err && err.message ? err.message : err}`;
  } finally {
    await plugin.disconnect();
  }
  return result;
}

const scenarios = {
  js_server: jsServer,
  js_client: jsClient,
  pay: async (args) => report('RESULT', await payScenario(args)),
};

async function main() {
  const [scenario, argsJson] = process.argv.slice(2);
  if (!scenarios[scenario]) throw new Error(`unknown scenario ${scenario}`);
  setTimeout(() => {
    process.stderr.write(`TIMEOUT scenario ${scenario} took over ${SCENARIO_TIMEOUT_MS} ms\n`);
    process.exit(3);
  }, SCENARIO_TIMEOUT_MS).unref();
  await scenarios[scenario](JSON.parse(argsJson));
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`ERROR ${err && err.stack ? err.stack : err}\n`);
    process.exit(2);
  },
);
