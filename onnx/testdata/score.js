// Scores ONNX models with onnxruntime-node: node score.js requests.json
// The file holds a list of requests {"model": path, "rows": N, "inputs": {column: {"type":
// "double"|"string", "values": [...]}}} (null doubles are NaN); the answer, on standard
// output, is a list of {"probabilities": [[...], ...], "label": [...]} or {"error": "..."}
// in the same order. onnxruntime-node is found through NODE_PATH.
const fs = require('fs');
const ort = require('onnxruntime-node');

async function score(req) {
  const session = await ort.InferenceSession.create(req.model);
  const feeds = {};
  for (const [name, col] of Object.entries(req.inputs)) {
    if (col.type === 'double') {
      const v = Float64Array.from(col.values, (x) => (x === null ? NaN : x));
      feeds[name] = new ort.Tensor('float64', v, [req.rows, 1]);
    } else {
      feeds[name] = new ort.Tensor('string', col.values, [req.rows, 1]);
    }
  }
  const out = await session.run(feeds);
  const p = out.probabilities;
  const k = p.dims[1];
  const probabilities = [];
  for (let i = 0; i < req.rows; i++) {
    probabilities.push(Array.from(p.data.slice(i * k, (i + 1) * k)));
  }
  return {probabilities, label: Array.from(out.label.data)};
}

async function main() {
  const reqs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const answers = [];
  for (const req of reqs) {
    try {
      answers.push(await score(req));
    } catch (e) {
      answers.push({error: String(e && e.stack ? e.stack : e)});
    }
  }
  process.stdout.write(JSON.stringify(answers));
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
