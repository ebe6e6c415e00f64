// The official MCP Inspector's CLI (pinned in package-lock.json) against a live pacer, over
// stdio through pacer-mcp (the way local files reach pacer), run by scripts/inspector-check:
//   1. `tools/list --strict`: the Inspector's schema portability lint over every inputSchema and
//      outputSchema. Any finding fails, warnings included.
//   2. Every inputSchema and outputSchema compiled by Ajv2020 (JSON Schema 2020-12, the MCP
//      default dialect) with `strict: true`, the standard formats known: a non-standard format
//      (`uint32`), an unknown keyword or a keyword without its type fails.
//   3. `prompts/list` and `resources/list` decode in the Inspector.
//   4. Every tool called once through the Inspector with its defaults (required arguments filled
//      in below), which checks `structuredContent` against the tool's outputSchema; the result
//      is checked again with the strict Ajv, and must not be an error.
// Env: PACER_MCP_BIN (pacer-mcp), PACER_HOME (the daemon's home), PACER_API_KEY, PACER_SCRATCH
// (a writable temp dir outside the home: pacer refuses to import its own files).
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";

const bin = process.env.PACER_MCP_BIN;
const key = process.env.PACER_API_KEY;
const home = process.env.PACER_HOME;
const scratch = process.env.PACER_SCRATCH;
if (!bin || !key || !home || !scratch) {
  throw new Error("PACER_MCP_BIN, PACER_API_KEY, PACER_HOME and PACER_SCRATCH are required");
}
const launcher = fileURLToPath(
  new URL("./node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js", import.meta.url),
);

const failures = [];
const fail = (what) => {
  failures.push(what);
  console.log(`FAIL: ${what}`);
};

/** One Inspector CLI run (JSON output); returns {status, envelope, stderr}. */
function inspector(args) {
  const env = ["-e", `PACER_API_KEY=${key}`, "-e", `PACER_HOME=${home}`];
  const run = spawnSync(process.execPath, [launcher, "--cli", bin, ...env, "--format", "json", ...args], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
    timeout: 120_000,
    // The Inspector keeps a catalog under $HOME: a throwaway one.
    env: { ...process.env, HOME: scratch },
  });
  let envelope = null;
  try {
    envelope = JSON.parse(run.stdout.trim().split("\n").pop() ?? "");
  } catch {
    // Reported by the caller through `status`.
  }
  return { status: run.status, envelope, stderr: run.stderr };
}

// 1. The Inspector's strict schema lint.
const list = inspector(["--method", "tools/list", "--strict"]);
if (list.stderr.trim()) console.log(list.stderr.trim());
const tools = list.envelope?.result?.tools ?? [];
if (list.status !== 0) fail(`inspector tools/list --strict exited ${list.status}`);
const findings = (list.envelope?.schemaFindings ?? []).flatMap((r) => r.findings.map((f) => ({ tool: r.toolName, ...f })));
for (const f of findings) fail(`inspector --strict ${f.severity} [${f.rule}]: ${f.tool} ${f.schema}.${f.path}`);
if (tools.length === 0) fail("tools/list returned no tools");
console.log(`inspector --strict: ${tools.length} tools, ${findings.length} findings`);

// 2. Ajv2020 in strict mode; the formats JSON Schema 2020-12 defines are known (not validated:
// the point is that every format is a standard one).
const STANDARD_FORMATS = [
  "date-time", "date", "time", "duration", "email", "idn-email", "hostname", "idn-hostname", "ipv4", "ipv6",
  "uri", "uri-reference", "iri", "iri-reference", "uuid", "uri-template", "json-pointer",
  "relative-json-pointer", "regex",
];
const ajvWarnings = [];
const ajv = new Ajv2020({
  strict: true,
  allErrors: true,
  formats: Object.fromEntries(STANDARD_FORMATS.map((f) => [f, true])),
  logger: { log() {}, warn: (...m) => ajvWarnings.push(m.join(" ")), error: (...m) => ajvWarnings.push(m.join(" ")) },
});
const validators = new Map();
for (const tool of tools) {
  for (const kind of ["inputSchema", "outputSchema"]) {
    if (tool[kind] === undefined) continue;
    ajvWarnings.length = 0;
    try {
      const validate = ajv.compile(tool[kind]);
      if (kind === "outputSchema") validators.set(tool.name, validate);
    } catch (e) {
      fail(`ajv strict: ${tool.name} ${kind}: ${e.message}`);
    }
    for (const w of ajvWarnings) fail(`ajv strict warning: ${tool.name} ${kind}: ${w}`);
  }
}
console.log(`ajv (2020-12, strict): ${tools.length * 2} schemas compiled`);

// 3. Prompts and resources decode in the Inspector.
for (const method of ["prompts/list", "resources/list"]) {
  const run = inspector(["--method", method]);
  if (run.status !== 0) fail(`inspector ${method} exited ${run.status}: ${run.stderr.trim()}`);
}

// 4. Every tool once, defaults only (disconnect_provider last: it drops the connection).
const imports = join(scratch, "inspector-import");
mkdirSync(imports, { recursive: true });
const gpx = (start) => `<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="pacer inspector-check" xmlns="http://www.topografix.com/GPX/1/1">
 <trk><name>Inspector walk</name><type>walking</type><trkseg>
  <trkpt lat="47.3769" lon="8.5417"><ele>408</ele><time>${start}:00:00Z</time></trkpt>
  <trkpt lat="47.3779" lon="8.5427"><ele>410</ele><time>${start}:01:30Z</time></trkpt>
  <trkpt lat="47.3789" lon="8.5437"><ele>412</ele><time>${start}:03:00Z</time></trkpt>
 </trkseg></trk>
</gpx>
`;
writeFileSync(join(imports, "walk.gpx"), gpx("2026-01-03T08"));
const upload = join(scratch, "upload.gpx");
writeFileSync(upload, gpx("2026-01-04T08"));
// pacer runs these as tasks. In the legacy era (the Inspector's default, protocol 2025-11-25) the
// Inspector's ext-tasks client does not follow a task result it did not ask for, so they are
// called in the modern era (protocol 2026-07-28), where it does.
const TASK_TOOLS = new Set(["import_activities", "upload_activity"]);
function call(name, args = {}) {
  const toolArgs = Object.entries(args).flatMap(([k, v]) => ["--tool-arg", `${k}=${v}`]);
  const era = TASK_TOOLS.has(name) ? ["--protocol-era", "modern"] : [];
  const run = inspector([...era, "--method", "tools/call", "--tool-name", name, ...toolArgs]);
  const result = run.envelope?.result;
  if (run.status !== 0 || !result) {
    fail(`inspector tools/call ${name} exited ${run.status}: ${run.stderr.trim() || JSON.stringify(run.envelope)}`);
    return null;
  }
  const validate = validators.get(name);
  if (validate && !validate(result.structuredContent)) {
    fail(`ajv strict: ${name} structuredContent: ${ajv.errorsText(validate.errors)}`);
  }
  return result;
}
const first = call("get_activities")?.structuredContent?.activities?.[0]?.id;
if (first === undefined) fail("get_activities returned no activity id");
const required = {
  get_activity: { activity_id: first },
  get_activity_streams: { activity_id: first },
  import_activities: { path: imports },
  upload_activity: { path: upload },
};
const order = tools.map((t) => t.name).filter((n) => n !== "get_activities" && n !== "disconnect_provider");
if (tools.some((t) => t.name === "disconnect_provider")) order.push("disconnect_provider");
for (const name of order) {
  const tool = tools.find((t) => t.name === name);
  const missing = (tool.inputSchema?.required ?? []).filter((p) => !(p in (required[name] ?? {})));
  if (missing.length) {
    fail(`${name}: no value for required ${missing.join(", ")} (add one to check.mjs)`);
    continue;
  }
  call(name, required[name]);
}
console.log(`tools/call: ${tools.length} tools called, structuredContent checked`);

if (failures.length) {
  console.log(`inspector-check: ${failures.length} finding(s)`);
  process.exit(1);
}
console.log("inspector-check: no findings");
