// stepgate dashboard: the managed instance, buttons for both routes, the recent standard
// executions, and one execution followed live (graph + timeline) through the events route's long
// poll. Every call goes to this page's own origin: /api/... is forwarded to the stack by the
// dashboard command, /dashboard/... is answered by it. Data only ever reaches the DOM through
// textContent and attributes, never as markup.
'use strict';

const $ = (sel) => document.querySelector(sel);
const SVG = 'http://www.w3.org/2000/svg';
const enc = encodeURIComponent;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let config = { instanceId: '' };

// ---- calls ---------------------------------------------------------------------------------------

class CallError extends Error {
  constructor(status, code, message, requestId, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.retryAfter = retryAfter;
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
      d.message || (text ? text.slice(0, 200) : resp.statusText), d.requestId || resp.headers.get('X-Request-Id') || '', retryAfter);
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

// ---- the instance ------------------------------------------------------------------------------------

let instanceTimer = 0;

async function refreshInstance() {
  clearTimeout(instanceTimer);
  let next = 10000;
  try {
    const r = await apiCall('GET', `/instances/${enc(config.instanceId)}`);
    const state = String(r.body.state || 'unknown');
    const badge = $('#instance-state');
    badge.textContent = state;
    badge.dataset.state = state;
    $('#instance-checked').textContent = 'checked at ' + new Date().toLocaleTimeString([], { hour12: false });
    clearError('instance');
    if (state === 'pending' || state === 'stopping') next = 1500;
  } catch (e) {
    showError('instance', 'Instance state', e);
    next = e.retryAfter ? e.retryAfter * 1000 : 10000;
  }
  clearTimeout(instanceTimer); // one schedule, however many refreshes overlapped
  instanceTimer = setTimeout(refreshInstance, next);
}

// ---- actions ---------------------------------------------------------------------------------------

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

function showResult(ok, title, detail) {
  const el = $('#result');
  el.hidden = false;
  el.className = 'result' + (ok ? '' : ' error');
  el.dataset.ok = String(ok);
  el.textContent = '';
  const t = document.createElement('strong');
  t.textContent = title;
  el.append(t);
  if (detail !== undefined) {
    const pre = document.createElement('pre');
    pre.textContent = typeof detail === 'string' ? detail : JSON.stringify(detail, null, 2);
    el.append(pre);
  }
}

async function act(route, action) {
  const buttons = document.querySelectorAll(`button[data-route="${route}"]`);
  buttons.forEach((b) => { b.disabled = true; });
  const body = JSON.stringify({ instance_id: config.instanceId, action });
  try {
    if (route === 'express') {
      showResult(true, `Express ${action}: running…`);
      const r = await apiCall('POST', '/express-instance', { body, headers: { 'Content-Type': 'application/json' } });
      const o = r.body;
      showResult(true, `Express ${action}: ${o.previous_state} → ${o.current_state} (action ${o.action})`, o);
      refreshInstance();
    } else {
      const r = await apiCall('POST', '/standard-instance', {
        body, headers: { 'Content-Type': 'application/json', 'Idempotency-Key': newKey() },
      });
      showResult(true, `Standard ${action}: started, followed below`, r.body.executionArn);
      refreshExecutions();
      select(r.body.executionArn);
    }
  } catch (e) {
    const detail = [e.message, e.requestId && 'request ' + e.requestId].filter(Boolean).join('\n');
    showResult(false, `${route === 'express' ? 'Express' : 'Standard'} ${action}: ${e.status ? e.status + ' ' : ''}${e.code}`, detail);
    if (e.status === 409 || e.status === 0 || e.status >= 500) refreshInstance();
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
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
    if ((r.body.executions || []).some((x) => x.status === 'RUNNING')) next = 2000;
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
    const tr = document.createElement('tr');
    tr.dataset.arn = x.executionArn;
    tr.classList.toggle('selected', following && following.arn === x.executionArn);
    const status = document.createElement('span');
    status.className = 'status-pill';
    status.dataset.status = x.status;
    status.textContent = x.status;
    const took = x.stopDate ? Date.parse(x.stopDate) - Date.parse(x.startDate) : NaN;
    const cells = [status, shortName(x.name || ''), fmtTime(x.startDate), x.stopDate ? fmtDur(took) : '…'];
    for (const c of cells) {
      const td = document.createElement('td');
      td.append(c);
      tr.append(td);
    }
    tr.title = x.executionArn;
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
  const f = following = { arn, stopped: false, events: [], status: 'RUNNING', graph: null, start: 0, end: 0 };
  history.replaceState(null, '', '#' + enc(arn));
  document.querySelectorAll('#executions tbody tr').forEach((tr) => tr.classList.toggle('selected', tr.dataset.arn === arn));
  $('#execution-name').textContent = arn;
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
  setStatus(desc.status);
  try {
    f.graph = drawGraph(await definitionOf(desc.stateMachineArn));
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
    refreshInstance();
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

function render(f) {
  const m = model(f);
  const closed = !isNaN(m.end);
  setStatus(closed ? { ExecutionSucceeded: 'SUCCEEDED', ExecutionFailed: 'FAILED', ExecutionTimedOut: 'TIMED_OUT', ExecutionAborted: 'ABORTED' }[f.events[f.events.length - 1].type] || f.status : f.status);
  if (f.graph) paintGraph(f.graph, m, f.status === 'RUNNING' && !closed);
  renderTimeline(m, closed);
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
  document.querySelectorAll('button[data-route]').forEach((b) => b.addEventListener('click', () => act(b.dataset.route, b.dataset.action)));
  $('#stop-execution').addEventListener('click', stopExecution);
  try {
    config = (await call('GET', '/dashboard/config')).body;
  } catch (e) {
    showError('config', 'Dashboard', e);
    return;
  }
  $('#api-url').textContent = config.api;
  $('#auth-mode').textContent = config.auth;
  $('#instance-id').textContent = config.instanceId;
  refreshInstance();
  refreshExecutions();
  if (location.hash.length > 1) select(decodeURIComponent(location.hash.slice(1)));
}

main();
