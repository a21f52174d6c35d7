// The grpc-js client of bench/latency, run as its own Node.js process. It speaks the same protocol as
// the Java client (dev.modelmux.bench.LoadClient): one JSON command per stdin line, one JSON result per
// stdout line. The service comes from the source tree's protos (mesh-node's grpc_service.proto and
// model-repo's model_config.proto); each request is the bench's serialized ModelInferRequest, decoded
// once into the object a grpc-js user would build, then encoded again on every call as theirs would be.
//
// Command: {"target":"127.0.0.1:port","request":"/path/model.bin","mode":"closed"|"open","n":200,
//           "seconds":5,"inflight":1,"rate":15,"key":"...","keep":true,"deadline_ms":10000 (0: none)}
// Result:  {"latencies_us":[...],"ok":200,"errors":{"RESOURCE_EXHAUSTED":3},"elapsed_s":1.2}
'use strict';
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const ROOT = path.resolve(__dirname, '..', '..');
const PROTO_DIRS = [path.join(ROOT, 'mesh-node/src/main/proto'), path.join(ROOT, 'model-repo/src/main/proto')];
const definition = protoLoader.loadSync('grpc_service.proto', {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: PROTO_DIRS,
});
const Service = grpc.loadPackageDefinition(definition).inference.GRPCInferenceService;
const modelInfer = definition['inference.GRPCInferenceService'].ModelInfer;
const DEADLINE_MS = 10000;
const OPEN_LOOP_CAP = 512;

const clients = new Map();
const requests = new Map();

function client(target) {
  let c = clients.get(target);
  if (!c) {
    c = new Service(target, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 64 << 20,
      'grpc.max_send_message_length': 64 << 20,
    });
    clients.set(target, c);
  }
  return c;
}

function request(file) {
  let r = requests.get(file);
  if (!r) {
    r = modelInfer.requestDeserialize(fs.readFileSync(file));
    requests.set(file, r);
  }
  return r;
}

const statusNames = Object.fromEntries(Object.entries(grpc.status).map(([k, v]) => [v, k]));

/** One ModelInfer call; resolves with "OK" or the gRPC status name. */
function call(c, req, key, deadlineMs) {
  return new Promise((resolve) => {
    const md = new grpc.Metadata();
    if (key) md.set('authorization', 'Bearer ' + key);
    const options = deadlineMs > 0 ? { deadline: Date.now() + deadlineMs } : {};
    c.ModelInfer(req, md, options, (err) => {
      resolve(err ? statusNames[err.code] || 'UNKNOWN' : 'OK');
    });
  });
}

function recorder(keep) {
  const lat = [];
  const errors = {};
  let ok = 0;
  return {
    record(status, nanos) {
      if (status !== 'OK') {
        errors[status] = (errors[status] || 0) + 1;
        return;
      }
      ok++;
      if (keep) lat.push(Math.round(Number(nanos) / 100) / 10);
    },
    result(elapsedS) {
      return { latencies_us: lat, ok, errors, elapsed_s: elapsedS };
    },
  };
}

async function closedLoop(c, req, key, deadlineMs, n, seconds, inFlight, rec) {
  const end = n > 0 ? Infinity : Date.now() + seconds * 1000;
  let left = n > 0 ? n : Number.MAX_SAFE_INTEGER;
  async function worker() {
    while (left-- > 0 && Date.now() < end) {
      const t = process.hrtime.bigint();
      const status = await call(c, req, key, deadlineMs);
      rec.record(status, process.hrtime.bigint() - t);
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker));
}

function openLoop(c, req, key, deadlineMs, rate, seconds, rec) {
  return new Promise((resolve) => {
    const period = 1e9 / rate;
    const count = Math.floor(seconds * rate);
    const t0 = process.hrtime.bigint();
    let sent = 0;
    let outstanding = 0;
    const finish = () => {
      if (sent >= count && outstanding === 0) resolve();
    };
    const tick = () => {
      const now = Number(process.hrtime.bigint() - t0);
      while (sent < count && sent * period <= now) {
        const due = t0 + BigInt(Math.round(sent * period));
        sent++;
        if (outstanding >= OPEN_LOOP_CAP) {
          rec.record('CLIENT_OVERLOAD', 0n);
          continue;
        }
        outstanding++;
        call(c, req, key, deadlineMs).then((status) => {
          rec.record(status, process.hrtime.bigint() - due);
          outstanding--;
          finish();
        });
      }
      if (sent < count) {
        const wait = (sent * period - Number(process.hrtime.bigint() - t0)) / 1e6;
        setTimeout(tick, Math.max(0, Math.floor(wait)));
      } else {
        finish();
      }
    };
    tick();
  });
}

async function run(cmd) {
  const c = client(cmd.target);
  const req = request(cmd.request);
  const rec = recorder(cmd.keep !== false);
  const start = process.hrtime.bigint();
  const deadlineMs = cmd.deadline_ms === undefined ? DEADLINE_MS : cmd.deadline_ms;
  if (cmd.mode === 'open') {
    await openLoop(c, req, cmd.key, deadlineMs, cmd.rate, cmd.seconds, rec);
  } else {
    await closedLoop(c, req, cmd.key, deadlineMs, cmd.n || 0, cmd.seconds || 0, cmd.inflight || 1, rec);
  }
  return rec.result(Number(process.hrtime.bigint() - start) / 1e9);
}

const lines = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on('line', (line) => {
  line = line.trim();
  if (!line) return;
  if (line === 'quit') {
    queue.then(() => {
      for (const c of clients.values()) c.close();
      process.exit(0);
    });
    return;
  }
  queue = queue.then(async () => {
    let out;
    try {
      out = await run(JSON.parse(line));
    } catch (e) {
      out = { failure: String(e && e.stack ? e.stack : e) };
    }
    process.stdout.write(JSON.stringify(out) + '\n');
  });
});
lines.on('close', () => queue.then(() => process.exit(0)));
