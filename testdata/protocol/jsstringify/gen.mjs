// Golden values for protocol's JSON.stringify encoder (jsjson_test.go).
// Regenerate from the repository root with:
//   node testdata/protocol/jsstringify/gen.mjs > testdata/protocol/jsstringify/golden.json
// Each case gives its input as UTF-16 code units (so lone surrogates
// survive) and JSON.stringify's output as base64 of its UTF-8 bytes.
const controls = [];
for (let c = 0; c < 0x20; c++) controls.push(String.fromCharCode(c));
const cases = {
  ascii: "hello, world",
  html: "<script>a && b > c</script>",
  quotes: `say "hi" and 'bye'`,
  backslashes: "C:\\path\\to\\file \\u0041 \\\\",
  controls: controls.join(""),
  del_and_c1: "\x7f\x80\x9f\xa0",
  line_separators: "a\u2028b\u2029c",
  emoji: "hi 👋🏽 family 👨‍👩‍👧 flag 🇫🇷",
  cjk: "日本語のテキスト",
  nul: "a\u0000b",
  replacement_and_bom: "\ufffd\ufeff",
  lone_high: "x\ud800y",
  lone_low: "x\udfffy",
  high_at_end: "end\udbff",
  low_at_start: "\udc00start",
  reversed_pair: "\udc00\ud800",
  two_highs: "\ud83d\ud83d\ude00",
  max_bmp: "\uffff\ufffe",
  supplementary_edges: "\u{10000}\u{10ffff}",
  json_inside: '{"type":"shutdown_request","requestId":"shutdown-1@w1","reason":"done\\n"}',
  empty: "",
};
const out = [];
for (const [name, s] of Object.entries(cases)) {
  const units = [];
  for (let i = 0; i < s.length; i++) units.push(s.charCodeAt(i));
  out.push({ name, units, out: Buffer.from(JSON.stringify(s), "utf8").toString("base64") });
}
// The signed payload of a lead entry (PROTOCOL.md §10), nulls included.
const arr = ["claude-team-lead-entry-v1", "6f1c2d3e-0000-4000-8000-000000000001", "team-lead",
  "2026-12-03T12:00:00.000Z", "do <this> & \u2028 that \ud800", null, "blue", null];
out.push({ name: "lead_entry_array", array: arr.map((s) => s === null ? null : [...Array(s.length).keys()].map((i) => s.charCodeAt(i))),
  out: Buffer.from(JSON.stringify(arr), "utf8").toString("base64") });
console.log("[\n" + out.map((o) => JSON.stringify(o)).join(",\n") + "\n]");
