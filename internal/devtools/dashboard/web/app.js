// stepgate dashboard. The page knows no workflow: everything it shows of the stack comes from the
// stack's description (GET /dashboard/stack: the API, the state machines, and each declared route
// with its input sources, required fields and field rules). From it the page builds a form per
// start route, a live read card per route that needs no one's input (a synchronous GET whose path
// parameters all have allowlist values), and labels; the executions of the stack's STANDARD
// machines come from the generic status routes, and any of them is followed live (graph +
// timeline) through the events route's long poll; a task of it that waits for a callback gets
// Approve, Reject and Heartbeat buttons, one per callback route the stack declares for its machine.
// Every call goes to this page's own origin:
// /api/... is forwarded to the stack by the dashboard command, /dashboard/... is answered by it.
// Data only ever reaches the DOM through textContent and attributes, never as markup.
'use strict';

const $ = (sel) => document.querySelector(sel);
const SVG = 'http://www.w3.org/2000/svg';
const enc = encodeURIComponent;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let stack = { routes: [], stateMachines: [] };

// ---- calls ---------------------------------------------------------------------------------------

class CallError extends Error {
  constructor(status, code, message, requestId, retryAfter, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.retryAfter = retryAfter;
    this.body = body || {};
  }
}

// call sends one request to the dashboard and returns {status, body, headers}; a non-2xx answer
// or no answer at all throws a CallError that says what happened.
async function call(method, path, { body, headers } = {}) {
  let resp;
  try {
    resp = await fetch(path, { method, body, headers: { Accept: 'application/json', ...(headers || {}) }, cache: 'no-store' });
  } catch (e) {
    throw new CallError(0, 'DashboardUnreachable', 'The dashboard command does not answer: is it still running?', '', 0);
  }
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { /* reported below */ }
  if (!resp.ok) {
    const d = data && typeof data === 'object' ? data : {};
    const retryAfter = Number(resp.headers.get('Retry-After')) || 0;
    throw new CallError(resp.status, d.error || 'HTTP' + resp.status,
      d.message || (text ? text.slice(0, 200) : resp.statusText), d.requestId || resp.headers.get('X-Request-Id') || '', retryAfter, d);
  }
  if (data === null) {
    throw new CallError(resp.status, 'NotJSON', 'The answer was not JSON.', resp.headers.get('X-Request-Id') || '', 0);
  }
  return { status: resp.status, body: data, headers: resp.headers };
}

const apiCall = (method, path, opts) => call(method, '/api' + path, opts);

// ---- errors: shown, one line per source, until that source succeeds again ---------------------------

function showError(key, what, err) {
  let el = document.querySelector(`#errors .error[data-key="${key}"]`);
  if (!el) {
    el = document.createElement('div');
    el.className = 'error';
    el.dataset.key = key;
    const text = document.createElement('span');
    const close = document.createElement('button');
    close.textContent = '×';
    close.title = 'dismiss';
    close.addEventListener('click', () => el.remove());
    el.append(text, close);
    $('#errors').append(el);
  }
  el.classList.toggle('warn', err.status === 429 || err.status === 409);
  const text = el.firstChild;
  text.textContent = '';
  const strong = document.createElement('strong');
  strong.textContent = `${what}: ${err.status ? err.status + ' ' : ''}${err.code}`;
  text.append(strong, ' — ' + err.message);
  if (err.retryAfter) text.append(` (retrying in ${err.retryAfter} s)`);
  if (err.requestId) {
    const id = document.createElement('code');
    id.textContent = ' ' + err.requestId;
    text.append(id);
  }
  el.dataset.status = String(err.status);
  el.dataset.code = err.code;
}

function clearError(key) {
  const el = document.querySelector(`#errors .error[data-key="${key}"]`);
  if (el) el.remove();
}

// ---- formatting ------------------------------------------------------------------------------------

function fmtDur(ms) {
  if (!(ms >= 0)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

function fmtTime(iso) {
  const d = new Date(iso);
  return isNaN(d) ? '' : d.toLocaleTimeString([], { hour12: false });
}

function shortName(name) {
  return name.length > 14 ? name.slice(0, 6) + '…' + name.slice(-6) : name;
}

function make(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === 'class') e.className = v;
    else if (k === 'data') Object.assign(e.dataset, v);
    else if (k in e && typeof v !== 'string') e[k] = v;
    else e.setAttribute(k, v);
  }
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}

// ---- the stack --------------------------------------------------------------------------------------

// machineLabel names a state machine (or an execution's) for people: its name without the stack's
// prefix (every machine of a stepgate stack is named <stack>_<Short>).
function machineLabel(arn) {
  const parts = String(arn || '').split(':');
  const name = ['execution', 'express', 'stateMachine'].includes(parts[5]) ? parts[6] || '' : '';
  const i = name.indexOf('_');
  return i >= 0 ? name.slice(i + 1) : name;
}

const pathParams = (route) => (route.path.match(/\{[^}]+\}/g) || []).map((p) => p.slice(1, -1));
const fieldOf = (route, name) => (route.fields || []).find((f) => f.name === name);
// A browser sends no body with a GET, whatever the route declares.
const hasBody = (route) => route.input.body && route.method !== 'GET';

// choicesOf lists the values a field can take, when the declaration says: its allowlist, or the
// literal alternatives of a pattern such as ^(a|b|c)$.
function choicesOf(field) {
  if (!field) return null;
  if (field.allowed && field.allowed.length) return field.allowed;
  const m = /^\^\(?((?:[A-Za-z0-9_-]+\|)*[A-Za-z0-9_-]+)\)?\$$/.exec(field.pattern || '');
  return m ? m[1].split('|') : null;
}

// fillPath puts the (escaped) parameter values into a path template.
const fillPath = (route, values) => route.path.replace(/\{([^}]+)\}/g, (_, n) => enc(values[n]));

// ---- live reads -------------------------------------------------------------------------------------

// A read is a synchronous GET route nobody has to type anything for: its path parameters all have
// allowlist values and every required field comes from the path or a fixed value. One card per
// combination of those values (a few at most), refreshed; its answer rendered as it comes.
const MAX_READS = 6;
const reads = [];
let lastActivity = 0; // when the page last started something, or saw an execution end

function readCombinations(route) {
  if (route.method !== 'GET' || route.mode !== 'sync') return [];
  const params = pathParams(route);
  const given = new Set([...params, ...Object.keys(route.input.fixed || {})]);
  if (!(route.required || []).every((n) => given.has(n))) return [];
  let combos = [{}];
  for (const p of params) {
    const values = (fieldOf(route, p) || {}).allowed || [];
    if (!values.length) return [];
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [p]: v })));
  }
  return combos;
}

function buildReads() {
  for (const route of stack.routes) {
    for (const values of readCombinations(route)) {
      if (reads.length >= MAX_READS) return;
      const path = fillPath(route, values);
      const r = { route, path, key: `${route.method} ${path}`, timer: 0, lastChange: 0, value: undefined };
      r.card = make('section', { class: 'card read', data: { route: `${route.method} ${route.path}`, key: r.key } },
        make('h2', {}, make('code', {}, `${route.method} ${decodeURIComponent(path)}`),
          make('span', { class: 'machine' }, machineLabel(route.stateMachineArn))),
        make('p', { class: 'headline', hidden: true }, make('span', { class: 'label' }), make('span', { class: 'value' })),
        make('dl', { class: 'answer' }),
        make('p', { class: 'muted checked' }, 'not read yet'));
      $('#reads').append(r.card);
      reads.push(r);
    }
  }
}

// TONES colour a headline value by common status words, whatever the workflow.
const TONES = {
  good: /^(running|active|available|enabled|healthy|ok|succeeded|ready|approved|in[-_ ]?service)$/i,
  busy: /^(pending|starting|stopping|creating|updating|deleting|waiting|in[-_ ]?progress)$/i,
  bad: /^(failed|error|terminated|shutting[-_ ]?down|unhealthy|rejected|aborted|timed[-_ ]?out)$/i,
  idle: /^(stopped|disabled|inactive|paused)$/i,
};
const toneOf = (v) => Object.keys(TONES).find((t) => TONES[t].test(String(v))) || '';

const showValue = (v) => (typeof v === 'string' ? v : JSON.stringify(v));

// renderRead shows a read's answer: its first scalar field that is not one of the route's own
// inputs as the headline, every other field below.
function renderRead(r, body) {
  const inputs = new Set([...pathParams(r.route), ...(r.route.input.query || []), ...Object.keys(r.route.input.fixed || {})]);
  const obj = body && typeof body === 'object' && !Array.isArray(body) ? body : { answer: body };
  const head = Object.keys(obj).find((k) => !inputs.has(k) && obj[k] !== null && typeof obj[k] !== 'object');
  const hl = r.card.querySelector('.headline');
  hl.hidden = head === undefined;
  const value = head === undefined ? undefined : showValue(obj[head]);
  if (value !== r.value) r.lastChange = Date.now();
  r.value = value;
  hl.dataset.field = head || '';
  hl.dataset.value = value || '';
  hl.dataset.tone = toneOf(value);
  hl.querySelector('.label').textContent = head || '';
  hl.querySelector('.value').textContent = value || '';
  const dl = r.card.querySelector('.answer');
  dl.textContent = '';
  for (const [k, v] of Object.entries(obj)) if (k !== head) dl.append(make('dt', {}, k), make('dd', {}, showValue(v)));
}

async function refreshRead(r) {
  clearTimeout(r.timer);
  let next;
  try {
    const res = await apiCall('GET', r.path);
    renderRead(r, res.body);
    r.card.querySelector('.checked').textContent = 'read at ' + new Date().toLocaleTimeString([], { hour12: false });
    clearError('read ' + r.key);
    // Quickly while things change (a value just changed, a call just started something), else
    // every 10 s.
    next = Date.now() - Math.max(r.lastChange, lastActivity) < 15000 ? 1500 : 10000;
  } catch (e) {
    showError('read ' + r.key, r.key, e);
    next = e.retryAfter ? e.retryAfter * 1000 : 10000;
  }
  clearTimeout(r.timer); // one schedule, however many refreshes overlapped
  r.timer = setTimeout(() => refreshRead(r), next);
}

function refreshReads() {
  lastActivity = Date.now();
  reads.forEach(refreshRead);
}

// ---- a form per start route ----------------------------------------------------------------------------

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

// inputsOf lists a route's inputs in request order: path parameters, query parameters, body fields
// (required ones, then those with rules), fixed values (shown, not sent).
function inputsOf(route) {
  const out = [];
  const seen = new Set();
  const add = (name, where) => {
    if (seen.has(name)) return;
    seen.add(name);
    out.push({ name, where, field: fieldOf(route, name), required: where === 'path' || (route.required || []).includes(name) });
  };
  const fixed = Object.keys(route.input.fixed || {});
  fixed.forEach((n) => seen.add(n));
  pathParams(route).forEach((n) => add(n, 'path'));
  (route.input.query || []).forEach((n) => add(n, 'query'));
  if (hasBody(route)) {
    (route.required || []).forEach((n) => add(n, 'body'));
    (route.fields || []).forEach((f) => add(f.name, 'body'));
  }
  fixed.forEach((n) => out.push({ name: n, where: 'fixed', value: route.input.fixed[n] }));
  return out;
}

function fieldControl(inp) {
  const label = make('span', { class: 'name' }, inp.name,
    inp.required ? make('abbr', { title: 'required' }, ' *') : null, make('span', { class: 'in' }, inp.where));
  if (inp.where === 'fixed') {
    return make('label', { class: 'field fixed', data: { field: inp.name } }, label,
      make('input', { value: JSON.stringify(inp.value), readOnly: true, title: 'fixed by the route: the caller cannot change it' }));
  }
  const choices = choicesOf(inp.field);
  let control;
  if (choices) {
    control = make('select', { required: inp.required });
    if (!inp.required || choices.length > 1) control.append(make('option', { value: '' }, inp.required ? 'choose…' : '—'));
    choices.forEach((c) => control.append(make('option', { value: c }, c)));
  } else {
    control = make('input', { autocomplete: 'off', spellcheck: false, required: inp.required,
      placeholder: inp.field && inp.field.hint ? inp.field.hint : inp.field ? '' : 'text, or a JSON value' });
  }
  control.dataset.name = inp.name;
  control.dataset.in = inp.where;
  // A field with a rule takes a string; any other a JSON value (a number, an object) or text.
  control.dataset.json = String(!inp.field);
  const rule = inp.field && (inp.field.pattern || inp.field.hint) ? make('span', { class: 'rule' },
    inp.field.pattern ? make('code', {}, inp.field.pattern) : null, inp.field.hint ? ' ' + inp.field.hint : null) : null;
  return make('label', { class: 'field', data: { field: inp.name } }, label, control, rule);
}

function buildForms() {
  const starts = stack.routes.filter((r) => r.mode === 'sync' || r.mode === 'async');
  $('#routes-empty').hidden = starts.length > 0;
  for (const [i, route] of starts.entries()) {
    const key = `${route.method} ${route.path}`;
    const tab = make('button', { type: 'button', role: 'tab', class: 'tab', data: { route: key } },
      make('code', {}, key), make('span', { class: 'mode', data: { mode: route.mode } }, route.mode));
    // Required inputs and fixed values in view; optional ones (fields with a rule the route
    // accepts, and any other body field as JSON) one click away.
    const inputs = inputsOf(route);
    const optional = inputs.filter((inp) => !inp.required && inp.where !== 'fixed');
    const fields = make('div', { class: 'fields' }, ...inputs.filter((inp) => !optional.includes(inp)).map(fieldControl));
    if (optional.length || hasBody(route)) {
      const more = make('div', { class: 'fields' }, ...optional.map(fieldControl));
      if (hasBody(route)) {
        more.append(make('label', { class: 'field extra' },
          make('span', { class: 'name' }, 'more fields', make('span', { class: 'in' }, 'body, a JSON object')),
          make('textarea', { rows: 2, spellcheck: false, placeholder: '{"note": "…"}', data: { extra: 'true' } })));
      }
      fields.append(make('details', { class: 'optional' },
        make('summary', {}, 'optional: ' + optional.map((inp) => inp.name).concat(hasBody(route) ? ['more body fields'] : []).join(', ')), more));
    }
    const what = route.mode === 'sync' ? 'the answer is the workflow\'s result'
      : 'sent with a new Idempotency-Key; answers 202, and the execution is followed below';
    const form = make('form', { class: 'route-form', data: { route: key }, hidden: true },
      make('p', { class: 'route-line' }, make('code', {}, key), ' → ', make('span', { class: 'machine' }, machineLabel(route.stateMachineArn)),
        make('span', { class: 'muted' }, ' ' + what)),
      fields,
      make('button', { type: 'submit', data: { route: key } }, `${route.method} ${route.path}`),
      make('div', { class: 'result', hidden: true, data: { route: key } }));
    form.addEventListener('submit', (ev) => { ev.preventDefault(); callRoute(route, form); });
    tab.addEventListener('click', () => chooseRoute(key));
    $('#route-tabs').append(tab);
    $('#route-forms').append(form);
    if (i === 0) chooseRoute(key);
  }
}

function chooseRoute(key) {
  document.querySelectorAll('#route-tabs .tab').forEach((t) => t.setAttribute('aria-selected', String(t.dataset.route === key)));
  document.querySelectorAll('#route-forms form').forEach((f) => { f.hidden = f.dataset.route !== key; });
}

// request builds a route's call from its form: the path with its parameters, the query, the body;
// token ({from, name, value}), for a callback route, goes where the route takes it.
function request(route, form, token) {
  const values = {};
  const query = new URLSearchParams();
  let body = null;
  const extra = form.querySelector('[data-extra]');
  if (extra && extra.value.trim()) {
    try { body = JSON.parse(extra.value); } catch (e) { body = null; }
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('more fields: write a JSON object, such as {"note": "hi"}');
  }
  if (hasBody(route) || (token && token.from === 'body')) body = body || {};
  if (token && token.from === 'path') values[token.name] = token.value;
  if (token && token.from === 'query') query.set(token.name, token.value);
  if (token && token.from === 'body') body[token.name] = token.value;
  for (const c of form.querySelectorAll('[data-in][data-name]:not([readonly])')) {
    const v = c.value;
    if (c.dataset.in === 'path') values[c.dataset.name] = v;
    if (v === '') continue;
    if (c.dataset.in === 'query') query.set(c.dataset.name, v);
    if (c.dataset.in === 'body') {
      let parsed = v;
      if (c.dataset.json === 'true') try { parsed = JSON.parse(v); } catch (e) { parsed = v; }
      body[c.dataset.name] = parsed;
    }
  }
  const q = query.toString();
  return { path: fillPath(route, values) + (q ? '?' + q : ''), body: body === null ? undefined : JSON.stringify(body) };
}

function showResult(form, ok, status, title, detail) {
  const el = form.querySelector('.result');
  el.hidden = false;
  el.className = 'result' + (ok ? '' : ' error');
  el.dataset.ok = String(ok);
  el.dataset.status = String(status);
  el.textContent = '';
  el.append(make('strong', {}, title));
  if (detail !== undefined) el.append(make('pre', {}, typeof detail === 'string' ? detail : JSON.stringify(detail, null, 2)));
}

async function callRoute(route, form) {
  const button = form.querySelector('button[type=submit]');
  let req;
  try {
    req = request(route, form);
  } catch (e) {
    showResult(form, false, 0, e.message);
    return;
  }
  const headers = { 'Content-Type': 'application/json' };
  if (route.mode === 'async') headers['Idempotency-Key'] = newKey();
  button.disabled = true;
  showResult(form, true, 0, `${route.method} ${req.path}: running…`);
  lastActivity = Date.now();
  try {
    const r = await apiCall(route.method, req.path, { body: req.body, headers });
    if (route.mode === 'async' && r.body.executionArn) {
      showResult(form, true, r.status, `${r.status}: started, followed below`, r.body.executionArn);
      refreshExecutions();
      select(r.body.executionArn);
    } else {
      const arn = r.headers.get('X-Execution-Arn');
      showResult(form, true, r.status, `${r.status}${arn ? ' · ' + machineLabel(arn) + ' execution ' + shortName(arn.split(':').pop()) : ''}`, r.body);
    }
  } catch (e) {
    const detail = [e.message, e.body && e.body.executionArn, e.requestId && 'request ' + e.requestId].filter(Boolean).join('\n');
    showResult(form, false, e.status, `${e.status ? e.status + ' ' : ''}${e.code}`, detail);
  } finally {
    button.disabled = false;
    refreshReads();
  }
}

// ---- recent executions -----------------------------------------------------------------------------

let executionsTimer = 0;

async function refreshExecutions() {
  clearTimeout(executionsTimer);
  let next = 5000;
  try {
    const r = await apiCall('GET', '/executions?limit=15');
    const list = r.body.executions || [];
    renderExecutions(list);
    // Opened with nothing chosen: follow the newest execution, however it was started.
    if (!following && list.length > 0) select(list[0].executionArn);
    clearError('executions');
    if (list.some((x) => x.status === 'RUNNING')) next = 2000;
  } catch (e) {
    showError('executions', 'Recent executions', e);
    next = e.retryAfter ? e.retryAfter * 1000 : 10000;
  }
  clearTimeout(executionsTimer); // one schedule, however many refreshes overlapped
  executionsTimer = setTimeout(refreshExecutions, next);
}

function renderExecutions(list) {
  const tbody = $('#executions tbody');
  tbody.textContent = '';
  $('#executions-empty').hidden = list.length > 0;
  for (const x of list) {
    const machine = machineLabel(x.executionArn);
    const tr = make('tr', { title: x.executionArn, data: { arn: x.executionArn, machine, status: x.status } });
    tr.classList.toggle('selected', !!following && following.arn === x.executionArn);
    const took = x.stopDate ? Date.parse(x.stopDate) - Date.parse(x.startDate) : NaN;
    const cells = [make('span', { class: 'status-pill', data: { status: x.status } }, x.status), machine,
      shortName(x.name || ''), fmtTime(x.startDate), x.stopDate ? fmtDur(took) : '…'];
    for (const c of cells) tr.append(make('td', {}, c));
    tr.addEventListener('click', () => select(x.executionArn));
    tbody.append(tr);
  }
}

// ---- one execution, followed live ------------------------------------------------------------------

let following = null;
const definitions = new Map();

async function definitionOf(stateMachineArn) {
  if (!definitions.has(stateMachineArn)) {
    const r = await call('GET', `/dashboard/state-machine?arn=${enc(stateMachineArn)}`);
    definitions.set(stateMachineArn, r.body.definition);
  }
  return definitions.get(stateMachineArn);
}

async function select(arn) {
  if (following) following.stopped = true;
  const f = following = { arn, stopped: false, events: [], status: 'RUNNING', graph: null, start: 0, end: 0,
    machineArn: '', waits: false, tasks: [], tasksKey: '', tasksTimer: 0 };
  renderTasks(f);
  history.replaceState(null, '', '#' + enc(arn));
  document.querySelectorAll('#executions tbody tr').forEach((tr) => tr.classList.toggle('selected', tr.dataset.arn === arn));
  $('#execution-name').textContent = arn;
  $('#execution-machine').textContent = machineLabel(arn);
  $('#timeline').textContent = '';
  $('#graph').textContent = '';
  setStatus('');
  let desc;
  // DescribeExecution is eventually consistent: a just-started execution may be 404 for a moment.
  for (let attempt = 0; !desc; attempt++) {
    try {
      desc = (await apiCall('GET', `/executions/${enc(arn)}`)).body;
      clearError('execution');
    } catch (e) {
      if (f.stopped) return;
      if (!((e.status === 404 || e.status === 429) && attempt < 3)) {
        showError('execution', 'Execution', e);
        return;
      }
      await sleep(e.retryAfter ? e.retryAfter * 1000 : 1000 * (attempt + 1));
    }
  }
  if (f.stopped) return;
  f.status = desc.status;
  f.machineArn = desc.stateMachineArn;
  setStatus(desc.status);
  try {
    const def = await definitionOf(desc.stateMachineArn);
    f.graph = drawGraph(def);
    // Only a machine with a callback task, and a stack with a callback route for it, needs its
    // executions' history read for waiting tasks.
    f.waits = JSON.stringify(def).includes('.waitForTaskToken') && callbackRoutes(f.machineArn).length > 0;
    clearError('graph');
  } catch (e) {
    showError('graph', 'State machine graph', e);
  }
  if (f.stopped) return;
  render(f);
  await followEvents(f);
}

function setStatus(status) {
  const el = $('#execution-status');
  el.textContent = status;
  el.dataset.status = status;
  $('#stop-execution').hidden = status !== 'RUNNING';
}

// stopExecution asks the API to stop the followed execution (DELETE, StopExecution); the events
// route then brings its ExecutionAborted.
async function stopExecution() {
  if (!following) return;
  const btn = $('#stop-execution');
  btn.disabled = true;
  try {
    await apiCall('DELETE', `/executions/${enc(following.arn)}`);
    clearError('stop');
  } catch (e) {
    showError('stop', 'Stop execution', e);
  } finally {
    btn.disabled = false;
  }
}

const TERMINAL = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionTimedOut', 'ExecutionAborted']);

// followEvents long-polls the events route from the start, following its cursor, until the
// execution has closed and every event is in. Errors are shown and retried with a growing pause
// (Retry-After when the API gives one); a 4xx other than 429 will not get better and ends it.
async function followEvents(f) {
  let cursor = null;
  let pause = 1000;
  let notFound = 0;
  const ticker = setInterval(() => render(f), 250);
  try {
    while (!f.stopped) {
      const q = new URLSearchParams({ wait: '20' });
      if (cursor) q.set('after', cursor);
      let r;
      try {
        r = await apiCall('GET', `/executions/${enc(f.arn)}/events?${q}`);
      } catch (e) {
        if (f.stopped) return;
        showError('events', 'Live progress', e);
        const fresh = e.status === 404 && notFound++ < 3; // as for DescribeExecution, above
        if (e.status >= 400 && e.status < 500 && e.status !== 429 && !fresh) return;
        await sleep(e.retryAfter ? e.retryAfter * 1000 : pause);
        pause = Math.min(pause * 2, 15000);
        continue;
      }
      if (f.stopped) return;
      clearError('events');
      pause = 1000;
      const events = r.body.events || [];
      if (r.body.cursor) cursor = r.body.cursor;
      // States that came and went between two answers (quick Choice and Pass states, fast tasks)
      // are stepped through, at most a second for the batch, so that the path taken shows.
      const entered = events.filter((e) => e.type === 'StateEntered').length;
      const step = Math.min(150, 1000 / Math.max(entered, 1));
      for (const [i, ev] of events.entries()) {
        f.events.push(ev);
        if (ev.type === 'StateEntered' && i < events.length - 1) {
          render(f);
          await sleep(step);
          if (f.stopped) return;
        }
      }
      f.status = r.body.status || f.status;
      render(f);
      if (f.events.some((e) => TERMINAL.has(e.type)) || (f.status !== 'RUNNING' && events.length === 0)) break;
    }
  } finally {
    clearInterval(ticker);
    if (!f.stopped) render(f);
  }
  if (!f.stopped) {
    refreshExecutions();
    refreshReads();
  }
}

// model reads the events: per state its visits, retries and failure; the state running now; the
// transitions taken; the timeline's rows.
function model(f) {
  const m = { states: new Map(), current: null, taken: new Set(), rows: [], start: NaN, end: NaN };
  const st = (name) => {
    if (!m.states.has(name)) m.states.set(name, { visits: 0, retries: 0, failed: false });
    return m.states.get(name);
  };
  let last = null;
  for (const ev of f.events) {
    const t = Date.parse(ev.timestamp);
    if (isNaN(m.start)) m.start = t;
    switch (ev.type) {
      case 'StateEntered': {
        st(ev.state).visits++;
        if (last) m.taken.add(last + '\u0000' + ev.state);
        last = ev.state;
        m.current = ev.state;
        m.rows.push({ type: ev.type, state: ev.state, what: ev.state, t, end: NaN });
        break;
      }
      case 'StateExited': {
        for (let i = m.rows.length - 1; i >= 0; i--) {
          if (m.rows[i].type === 'StateEntered' && m.rows[i].state === ev.state && isNaN(m.rows[i].end)) { m.rows[i].end = t; break; }
        }
        if (m.current === ev.state) m.current = null;
        break;
      }
      case 'TaskFailed': {
        const s = st(ev.state || last);
        s.retries++;
        m.rows.push({ type: ev.type, what: `${ev.state || last} failed: ${ev.error || 'error'}`, detail: ev.cause, t, end: t });
        break;
      }
      case 'ExecutionStarted':
        m.rows.push({ type: ev.type, what: 'Execution started', t, end: t });
        break;
      default: {
        if (!TERMINAL.has(ev.type)) break;
        m.end = t;
        const status = { ExecutionSucceeded: 'SUCCEEDED', ExecutionFailed: 'FAILED', ExecutionTimedOut: 'TIMED_OUT', ExecutionAborted: 'ABORTED' }[ev.type];
        if (ev.type !== 'ExecutionSucceeded') {
          const where = ev.state || m.current || last;
          if (where) st(where).failed = true;
        }
        m.rows.push({ type: ev.type, what: status + (ev.error ? ': ' + ev.error : ''), detail: ev.cause, t, end: t, total: true });
        m.current = null;
      }
    }
  }
  return m;
}

// The followed execution's panels: each shows the execution from its model on every render. The
// graph and the timeline are two; the tasks that wait for a callback (Approve, Reject) join them
// here, in the side column.
const panels = [
  (f, m, closed) => { if (f.graph) paintGraph(f.graph, m, f.status === 'RUNNING' && !closed); },
  (f, m, closed) => renderTimeline(m, closed),
  (f, m, closed) => watchTasks(f, m, closed),
];

function render(f) {
  const m = model(f);
  const closed = !isNaN(m.end);
  setStatus(closed ? { ExecutionSucceeded: 'SUCCEEDED', ExecutionFailed: 'FAILED', ExecutionTimedOut: 'TIMED_OUT', ExecutionAborted: 'ABORTED' }[f.events[f.events.length - 1].type] || f.status : f.status);
  for (const panel of panels) panel(f, m, closed);
}

function renderTimeline(m, closed) {
  const ol = $('#timeline');
  ol.textContent = '';
  const now = Date.now();
  const endAll = closed ? m.end : Math.max(now, m.start);
  const span = Math.max(endAll - m.start, 1);
  for (const row of m.rows) {
    const li = document.createElement('li');
    li.className = row.type;
    li.dataset.type = row.type;
    if (row.state) li.dataset.state = row.state;
    const open = row.type === 'StateEntered' && isNaN(row.end);
    if (open && !closed) li.classList.add('running');
    const end = open ? (closed ? m.end : now) : row.end;
    const t = document.createElement('span');
    t.className = 't';
    t.textContent = '+' + fmtDur(row.t - m.start);
    const what = document.createElement('span');
    what.className = 'what';
    what.textContent = row.what;
    if (row.detail) what.title = typeof row.detail === 'string' ? row.detail : JSON.stringify(row.detail);
    const dur = document.createElement('span');
    dur.className = 'dur';
    dur.textContent = row.total ? fmtDur(row.t - m.start) : row.type === 'StateEntered' ? fmtDur(end - row.t) : '';
    li.append(t, what, dur);
    if (row.type === 'StateEntered') {
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.marginLeft = `${((row.t - m.start) / span) * 100}%`;
      bar.style.width = `${Math.max(((end - row.t) / span) * 100, 0.5)}%`;
      li.append(bar);
    }
    ol.append(li);
  }
}

// ---- tasks waiting for a callback ----------------------------------------------------------------------

// The followed execution's tasks that wait for a callback (.waitForTaskToken) come from its history,
// which the dashboard reads from Step Functions with the user's credentials (GET /dashboard/tasks:
// tokens never go through the stack's status function). Each gets a small form per callback route
// the stack declares for the execution's machine: Approve (outcome success), Reject (failure),
// Heartbeat; the token goes where the route takes it, and the page shows only its hash.
const OUTCOMES = { success: 'Approve', failure: 'Reject', heartbeat: 'Heartbeat' };
const OUTCOME_ORDER = ['success', 'failure', 'heartbeat'];

const callbackRoutes = (machineArn) => stack.routes
  .filter((r) => r.mode === 'callback' && r.stateMachineArn === machineArn && r.token)
  .sort((a, b) => OUTCOME_ORDER.indexOf(a.outcome) - OUTCOME_ORDER.indexOf(b.outcome));

// watchTasks reads the waiting tasks again whenever a state is entered or left, and every 5 s while
// the execution runs (a task is scheduled a moment after its state is entered).
function watchTasks(f, m, closed) {
  if (!f.waits) return;
  const key = closed ? 'closed' : f.events.filter((e) => e.type === 'StateEntered' || e.type === 'StateExited').length;
  if (key === f.tasksKey) return;
  f.tasksKey = key;
  refreshTasks(f);
}

async function refreshTasks(f) {
  clearTimeout(f.tasksTimer);
  if (f.tasksKey === 'closed') {
    f.tasks = [];
    renderTasks(f);
    return;
  }
  try {
    const r = await call('GET', `/dashboard/tasks?arn=${enc(f.arn)}`);
    if (f.stopped) return;
    f.tasks = r.body.tasks || [];
    clearError('tasks');
  } catch (e) {
    if (f.stopped) return;
    showError('tasks', 'Tasks waiting for a callback', e);
  }
  renderTasks(f);
  if (f.status === 'RUNNING' && f.tasksKey !== 'closed') f.tasksTimer = setTimeout(() => refreshTasks(f), 5000);
}

// renderTasks shows one card per waiting task; a card already shown stays as it is (a half-filled
// form is not wiped), a task no longer waiting goes.
function renderTasks(f) {
  if (following !== f) return;
  const box = $('#waiting-tasks');
  const waiting = new Set(f.tasks.map((t) => t.tokenHash));
  box.querySelectorAll('.task').forEach((c) => { if (!waiting.has(c.dataset.tokenHash)) c.remove(); });
  for (const task of f.tasks) {
    if (box.querySelector(`.task[data-token-hash="${task.tokenHash}"]`)) continue;
    box.append(taskCard(f, task));
  }
  $('#callbacks').hidden = f.tasks.length === 0;
}

function taskCard(f, task) {
  const card = make('div', { class: 'task', data: { state: task.state, tokenHash: task.tokenHash } },
    make('p', { class: 'task-line' }, make('strong', {}, task.state), ` waits since ${fmtTime(task.since)}`,
      task.heartbeatSeconds ? ` · heartbeat every ${task.heartbeatSeconds} s` : '',
      ' · token ', make('code', { title: 'the first 12 hex digits of its SHA-256, as the start function logs it' }, task.tokenHash)));
  const routes = callbackRoutes(f.machineArn);
  if (!routes.length) card.append(make('p', { class: 'muted' }, 'The stack declares no callback route for this machine.'));
  for (const route of routes) {
    const key = `${route.method} ${route.path}`;
    const inputs = inputsOf(route).filter((inp) => inp.name !== route.token.name);
    const label = OUTCOMES[route.outcome] || route.outcome;
    // Required inputs and fixed values; any other body field as JSON (a comment, say).
    const shown = inputs.filter((inp) => inp.required || inp.where === 'fixed').map(fieldControl);
    if (hasBody(route)) {
      shown.push(make('label', { class: 'field extra' },
        make('span', { class: 'name' }, 'more fields', make('span', { class: 'in' }, 'body, a JSON object')),
        make('textarea', { rows: 1, spellcheck: false, placeholder: '{"comment": "…"}', data: { extra: 'true' } })));
    }
    const form = make('form', { class: 'callback-form', data: { route: key, outcome: route.outcome } },
      shown.length ? make('div', { class: 'fields' }, ...shown) : null,
      make('button', { type: 'submit', data: { outcome: route.outcome }, title: key }, label),
      make('div', { class: 'result', hidden: true, data: { route: key } }));
    form.addEventListener('submit', (ev) => { ev.preventDefault(); answerTask(f, task, route, form); });
    card.append(form);
  }
  return card;
}

// answerTask calls a callback route for a waiting task; the events route then shows the task end.
async function answerTask(f, task, route, form) {
  const button = form.querySelector('button[type=submit]');
  let req;
  try {
    req = request(route, form, { ...route.token, value: task.token });
  } catch (e) {
    showResult(form, false, 0, e.message);
    return;
  }
  button.disabled = true;
  showResult(form, true, 0, `${OUTCOMES[route.outcome] || route.outcome}: sending…`);
  try {
    const r = await apiCall(route.method, req.path, { body: req.body, headers: { 'Content-Type': 'application/json' } });
    showResult(form, true, r.status, `${r.status}: ${route.outcome === 'heartbeat' ? 'the task goes on waiting' : 'sent; the execution goes on'}`);
    refreshTasks(f);
  } catch (e) {
    showResult(form, false, e.status, `${e.status ? e.status + ' ' : ''}${e.code}`, [e.message, e.requestId && 'request ' + e.requestId].filter(Boolean).join('\n'));
  } finally {
    button.disabled = false;
  }
}

// ---- the graph: a layered layout of the ASL states, drawn in SVG --------------------------------------

const NODE_W = 124, NODE_H = 38, GAP_X = 14, GAP_Y = 42, PAD = 20;

function transitions(state) {
  const out = [];
  if (state.Next) out.push({ to: state.Next, label: '' });
  for (const c of state.Choices || []) if (c.Next) out.push({ to: c.Next, label: '' });
  if (state.Default) out.push({ to: state.Default, label: 'default' });
  for (const c of state.Catch || []) if (c.Next) out.push({ to: c.Next, label: 'catch' });
  // One arrow per pair of states: several choice rules often lead to the same state.
  return out.filter((e, i) => out.findIndex((x) => x.to === e.to) === i);
}

function layout(def) {
  const states = def.States || {};
  const names = Object.keys(states);
  const edges = [];
  for (const n of names) for (const e of transitions(states[n])) if (states[e.to]) edges.push({ from: n, ...e, back: false });
  // Depth-first from StartAt: an edge to a state still on the stack closes a loop; drawn as a back edge.
  const onStack = new Set(), seen = new Set(), order = [];
  const visit = (n) => {
    seen.add(n); onStack.add(n);
    for (const e of edges.filter((x) => x.from === n)) {
      if (onStack.has(e.to)) e.back = true;
      else if (!seen.has(e.to)) visit(e.to);
    }
    onStack.delete(n);
    order.push(n);
  };
  if (states[def.StartAt]) visit(def.StartAt);
  for (const n of names) if (!seen.has(n)) visit(n);
  // Longest path from the start over forward edges: each state sits below everything leading to it.
  const layer = new Map(names.map((n) => [n, 0]));
  for (const n of order.slice().reverse()) {
    for (const e of edges) if (e.from === n && !e.back) layer.set(e.to, Math.max(layer.get(e.to), layer.get(n) + 1));
  }
  const layers = [];
  for (const n of order.slice().reverse()) {
    const l = layer.get(n);
    (layers[l] = layers[l] || []).push(n);
  }
  // Order each layer by its parents' mean position, to keep arrows short and uncrossed.
  const pos = new Map();
  layers.forEach((ns) => ns.forEach((n, i) => pos.set(n, i)));
  for (let l = 1; l < layers.length; l++) {
    const key = (n) => {
      const ps = edges.filter((e) => e.to === n && !e.back).map((e) => pos.get(e.from) - (layers[layer.get(e.from)].length - 1) / 2);
      return ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : 0;
    };
    layers[l].sort((a, b) => key(a) - key(b));
    layers[l].forEach((n, i) => pos.set(n, i));
  }
  const widest = Math.max(...layers.map((ns) => ns.length), 1);
  const width = widest * (NODE_W + GAP_X) - GAP_X + 2 * PAD + 2 * 36; // room for arrows round the sides
  const nodes = new Map();
  layers.forEach((ns, l) => {
    const rowW = ns.length * (NODE_W + GAP_X) - GAP_X;
    const x0 = (width - rowW) / 2;
    ns.forEach((n, i) => nodes.set(n, { name: n, type: states[n].Type, x: x0 + i * (NODE_W + GAP_X), y: PAD + l * (NODE_H + GAP_Y) }));
  });
  return { nodes, edges, width, height: PAD * 2 + layers.length * (NODE_H + GAP_Y) - GAP_Y };
}

function el(name, attrs, parent) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.append(e);
  return e;
}

function drawGraph(def) {
  const g = layout(def);
  const svg = $('#graph');
  svg.textContent = '';
  svg.setAttribute('viewBox', `0 0 ${g.width} ${g.height}`);
  svg.style.maxHeight = `${Math.max(g.height, 200)}px`;
  svg.style.maxWidth = `${Math.max(g.width, 400)}px`; // a small machine is not blown up
  const defs = el('defs', {}, svg);
  const marker = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, defs);
  el('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#8b97a3' }, marker);
  const edgeEls = new Map();
  const nodes = Array.from(g.nodes.values());
  // Nodes lying between two heights: an arrow that skips layers or loops back goes round them.
  const between = (y1, y2) => nodes.filter((n) => n.y > Math.min(y1, y2) && n.y < Math.max(y1, y2));
  for (const e of g.edges) {
    const a = g.nodes.get(e.from), b = g.nodes.get(e.to);
    let d, lx, ly;
    if (e.back || b.y <= a.y) {
      // Loops go round the right-hand side of everything they pass.
      const ax = a.x + NODE_W, ay = a.y + NODE_H / 2, bx = b.x + NODE_W, by = b.y + NODE_H / 2;
      const out = Math.max(ax, bx, ...between(ay, by).map((n) => n.x + NODE_W)) + 28;
      d = `M${ax},${ay} C${out},${ay} ${out},${by} ${bx + 2},${by}`;
      lx = out - 10; ly = (ay + by) / 2;
    } else {
      const ax = a.x + NODE_W / 2, ay = a.y + NODE_H, bx = b.x + NODE_W / 2, by = b.y;
      const inTheWay = between(ay, by).filter((n) => n.x < Math.max(ax, bx) + 4 && n.x + NODE_W > Math.min(ax, bx) - 4);
      if (inTheWay.length) {
        // A forward arrow that would cross a state goes round its left-hand side.
        const side = Math.min(...inTheWay.map((n) => n.x)) - 18;
        d = `M${ax},${ay} C${ax},${ay + 20} ${side},${ay + 20} ${side},${(ay + by) / 2} S${bx},${by - 20} ${bx},${by - 2}`;
        lx = side + 3; ly = (ay + by) / 2;
      } else {
        const my = (ay + by) / 2;
        d = `M${ax},${ay} C${ax},${my} ${bx},${my} ${bx},${by - 2}`;
        lx = (ax + bx) / 2; ly = my;
      }
    }
    const p = el('path', { d, class: 'edge' + (e.back ? ' back' : ''), 'marker-end': 'url(#arrow)' }, svg);
    edgeEls.set(e.from + '\u0000' + e.to, p);
    if (e.label) el('text', { x: lx + 3, y: ly, class: 'edge-label' }, svg).textContent = e.label;
  }
  const nodeEls = new Map();
  for (const n of g.nodes.values()) {
    const grp = el('g', { class: 'node', 'data-state': n.name, transform: `translate(${n.x},${n.y})` }, svg);
    el('title', {}, grp).textContent = `${n.name} (${n.type})`;
    el('rect', { width: NODE_W, height: NODE_H, rx: n.type === 'Choice' ? 18 : 6 }, grp);
    el('text', { x: NODE_W / 2, y: NODE_H / 2 - 6 }, grp).textContent = n.name.length > 18 ? n.name.slice(0, 17) + '…' : n.name;
    el('text', { x: NODE_W / 2, y: NODE_H / 2 + 10, class: 'kind' }, grp).textContent = n.type;
    const badge = el('g', { class: 'badge', transform: `translate(${NODE_W - 4},4)` }, grp);
    el('circle', { r: 8 }, badge);
    el('text', { 'text-anchor': 'middle', 'dominant-baseline': 'central' }, badge);
    badge.style.display = 'none';
    nodeEls.set(n.name, { grp, badge });
  }
  return { nodeEls, edgeEls };
}

function paintGraph(graph, m, running) {
  for (const [name, { grp, badge }] of graph.nodeEls) {
    const s = m.states.get(name);
    grp.classList.toggle('visited', !!s && s.visits > 0);
    grp.classList.toggle('retried', !!s && s.retries > 0);
    grp.classList.toggle('failed', !!s && s.failed);
    grp.classList.toggle('current', running && m.current === name);
    badge.style.display = s && s.retries > 0 ? '' : 'none';
    if (s && s.retries > 0) {
      badge.lastChild.textContent = String(s.retries);
      grp.dataset.retries = String(s.retries);
    }
  }
  for (const [key, p] of graph.edgeEls) p.classList.toggle('taken', m.taken.has(key));
}


// ---- start ---------------------------------------------------------------------------------------

async function main() {
  $('#stop-execution').addEventListener('click', stopExecution);
  try {
    stack = (await call('GET', '/dashboard/stack')).body;
  } catch (e) {
    showError('stack', 'Dashboard', e);
    return;
  }
  $('#stack-name').textContent = stack.name ? `stack ${stack.name} ·` : '';
  $('#api-url').textContent = stack.api;
  $('#auth-mode').textContent = stack.auth;
  buildReads();
  buildForms();
  reads.forEach(refreshRead);
  refreshExecutions();
  if (location.hash.length > 1) select(decodeURIComponent(location.hash.slice(1)));
}

main();
