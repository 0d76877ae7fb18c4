// The interactive API reference served at /docs: one self-contained page that reads /openapi.json,
// lists every operation by tag, and lets you send a request with your bearer token and see the answer.
export const docsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Poolflow API reference</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7fb; }
  header { background: #14213d; color: #fff; padding: 1rem 2rem; }
  header input { width: 32rem; max-width: 90%; font: inherit; padding: .3rem .5rem; }
  main { padding: 1rem 2rem; max-width: 70rem; }
  h2 { margin-top: 2rem; border-bottom: 1px solid #ccd; }
  details { background: #fff; border: 1px solid #dde; border-radius: 6px; margin: .5rem 0; padding: .4rem .8rem; }
  summary { cursor: pointer; }
  .method { display: inline-block; width: 4.5rem; font-weight: 700; text-transform: uppercase; }
  .get { color: #1a7f37; } .post { color: #0550ae; } .put { color: #8250df; } .delete { color: #cf222e; }
  textarea, input.param { width: 100%; font: 13px monospace; box-sizing: border-box; }
  pre { background: #0d1117; color: #e6edf3; padding: .6rem; overflow: auto; border-radius: 4px; }
  button { font: inherit; padding: .3rem 1rem; margin-top: .4rem; }
</style>
</head>
<body>
<header>
  <h1>Poolflow API</h1>
  <label>Bearer token <input id="token" placeholder="npm run token -- --sub alice --role manager"></label>
</header>
<main id="operations">Loading /openapi.json…</main>
<script>
const main = document.getElementById('operations');
const token = document.getElementById('token');
const el = (tag, attrs = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), attrs);
  for (const child of children) node.append(child);
  return node;
};
fetch('/openapi.json').then((r) => r.json()).then((spec) => {
  main.textContent = '';
  main.append(el('p', {}, spec.info.description));
  const byTag = {};
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) (byTag[op.tags[0]] ??= []).push({ path, method, op });
  }
  for (const [tag, ops] of Object.entries(byTag)) {
    main.append(el('h2', {}, tag));
    for (const { path, method, op } of ops) main.append(operation(path, method, op));
  }
});
function operation(path, method, op) {
  const params = (op.parameters ?? []).map((p) => ({ p, input: el('input', { className: 'param', placeholder: p.name + ' (' + p.in + ')' }) }));
  const body = op.requestBody ? el('textarea', { rows: 6, placeholder: 'JSON body' }) : null;
  const output = el('pre', {}, '');
  const send = el('button', {}, 'Send');
  send.onclick = async () => {
    let url = path;
    const headers = {};
    for (const { p, input } of params) {
      if (p.in === 'path') url = url.replace('{' + p.name + '}', encodeURIComponent(input.value));
      else if (p.in === 'header' && input.value) headers[p.name] = input.value;
    }
    if (token.value) headers.authorization = 'Bearer ' + token.value.trim();
    if (body && body.value) headers['content-type'] = 'application/json';
    const response = await fetch(url, { method: method.toUpperCase(), headers, body: body && body.value ? body.value : undefined });
    const text = await response.text();
    output.textContent = response.status + ' ' + response.statusText + '\\n' + text;
  };
  const schema = op.requestBody ? el('pre', {}, JSON.stringify(op.requestBody.content['application/json'].schema, null, 2)) : '';
  return el('details', {},
    el('summary', {}, el('span', { className: 'method ' + method }, method), ' ', path, ' — ', op.summary),
    ...params.map(({ input }) => input), schema, body ?? '', send, output);
}
</script>
</body>
</html>
`;
