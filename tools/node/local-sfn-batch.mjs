#!/usr/bin/env node
// local-sfn-batch runs the ASL conformance corpus through aws-local-stepfunctions, an independent
// Amazon States Language interpreter, so internal/offline/asl/conformance can compare our engine against it.
//
// Usage: node tools/node/local-sfn-batch.mjs [--validate] [--case NAME]... [corpus-dir]
//
// The corpus is a directory of JSON files, each holding one case or an array of cases:
//   {"name", "definition", "input", "tasks": {"<resource ARN>": "<mock behaviour>"}, "note"}
// Each case prints one JSON line, in corpus order:
//   {"name", "status": "SUCCEEDED", "output"} or {"name", "status": "FAILED", "error", "cause"}
//   or {"name", "status": "INVALID_DEFINITION", "cause"} when the interpreter refuses the definition.
// --validate also checks each definition with asl-validator first (about 150 ms a case, because it
// compiles its JSON schemas on every call; worth it when adding cases, too slow for every test run).
// A broken corpus (unparsable file, duplicate name, unmocked resource) exits 2 with a message on
// stderr, so a harness problem is never mistaken for an interpreter answer.
//
// The mock behaviours must match the Go side (internal/offline/asl/conformance/mocks_test.go) exactly:
//   echo                 returns the task input
//   double               returns {"n": input.n * 2}
//   fail:<Error>         fails with that error name and cause "boom"
//   failOnce:<Error>     fails the first call of the execution for that resource, then echoes
//   constant:<json>      returns the JSON value after the colon

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';

// aws-local-stepfunctions 3 calls Promise.withResolvers (ES2024, Node 22+) when it runs a Task
// state; this is the standard polyfill so the tool also runs on Node 20, the LTS installed here.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

const here = dirname(fileURLToPath(import.meta.url));
const defaultCorpus = resolve(here, '../../internal/offline/asl/conformance/testdata/corpus');

class CorpusError extends Error {}

function parseArgs(argv) {
  const only = new Set();
  let dir = defaultCorpus;
  let validate = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--validate') {
      validate = true;
    } else if (argv[i] === '--case') {
      if (i + 1 >= argv.length) throw new CorpusError('--case needs a case name');
      only.add(argv[++i]);
    } else {
      dir = resolve(argv[i]);
    }
  }
  return { dir, only, validate };
}

function loadCorpus(dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new CorpusError(`no .json files in ${dir}`);
  const cases = [];
  const seen = new Set();
  for (const file of files) {
    let parsed;
    try {
      parsed = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    } catch (err) {
      throw new CorpusError(`${file}: ${err.message}`);
    }
    for (const c of Array.isArray(parsed) ? parsed : [parsed]) {
      if (typeof c.name !== 'string' || c.name === '') throw new CorpusError(`${file}: a case has no name`);
      if (seen.has(c.name)) throw new CorpusError(`${file}: duplicate case name ${c.name}`);
      if (typeof c.definition !== 'object' || c.definition === null) {
        throw new CorpusError(`${file}: case ${c.name} has no definition object`);
      }
      seen.add(c.name);
      cases.push({ ...c, input: c.input === undefined ? {} : c.input, tasks: c.tasks ?? {} });
    }
  }
  return cases;
}

// walkStates visits every state of a definition, branches and Map processors included.
function walkStates(definition, visit) {
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    visit(name, state);
    for (const branch of state.Branches ?? []) walkStates(branch, visit);
    const processor = state.ItemProcessor ?? state.Iterator;
    if (processor) walkStates(processor, visit);
  }
}

// mockError builds the error a failing mock throws: aws-local-stepfunctions reports an error's
// name as the ASL error and its message as the cause.
function mockError(name) {
  const err = new Error('boom');
  err.name = name;
  return err;
}

// newMock returns the handler for one behaviour; calls counts calls per resource in one execution.
function newMock(caseName, resource, behaviour, calls) {
  const sep = behaviour.indexOf(':');
  const kind = sep < 0 ? behaviour : behaviour.slice(0, sep);
  const arg = sep < 0 ? '' : behaviour.slice(sep + 1);
  switch (kind) {
    case 'echo':
      return (input) => input;
    case 'double':
      return (input) => ({ n: input.n * 2 });
    case 'fail':
      return () => {
        throw mockError(arg);
      };
    case 'failOnce':
      return (input) => {
        const n = (calls.get(resource) ?? 0) + 1;
        calls.set(resource, n);
        if (n === 1) throw mockError(arg);
        return input;
      };
    case 'constant': {
      let value;
      try {
        value = JSON.parse(arg);
      } catch (err) {
        throw new CorpusError(`case ${caseName}: constant for ${resource}: ${err.message}`);
      }
      return () => structuredClone(value);
    }
    default:
      throw new CorpusError(`case ${caseName}: unknown mock behaviour ${JSON.stringify(behaviour)}`);
  }
}

// overridesFor maps the case's resource mocks onto state names, which is how the library's
// overrides are keyed, and zeroes every Retry pause and every fixed Wait (Seconds, Timestamp) so the
// corpus runs in milliseconds. A Wait with SecondsPath or TimestampPath is not overridden, because
// an override skips evaluating the path and so would hide its errors; the corpus gives those waits
// 0 seconds or a past timestamp instead.
function overridesFor(c) {
  const calls = new Map();
  const taskResourceLocalHandlers = {};
  const waitTimeOverrides = {};
  const retryIntervalOverrides = {};
  const resourceOf = {};
  walkStates(c.definition, (name, state) => {
    if (state.Retry) retryIntervalOverrides[name] = 0;
    if (state.Type === 'Wait' && (state.Seconds !== undefined || state.Timestamp !== undefined)) {
      waitTimeOverrides[name] = 0;
    }
    if (state.Type !== 'Task') return;
    if (resourceOf[name] !== undefined && resourceOf[name] !== state.Resource) {
      throw new CorpusError(`case ${c.name}: Task states named ${name} call different resources; rename one`);
    }
    resourceOf[name] = state.Resource;
    const behaviour = c.tasks[state.Resource];
    if (behaviour === undefined) throw new CorpusError(`case ${c.name}: no mock for resource ${state.Resource}`);
    taskResourceLocalHandlers[name] = newMock(c.name, state.Resource, behaviour, calls);
  });
  return { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides };
}

function causeText(cause) {
  if (cause === undefined || cause === null) return '';
  return typeof cause === 'string' ? cause : JSON.stringify(cause);
}

async function runCase(c, validate) {
  const overrides = overridesFor(c);
  let machine;
  try {
    // The validator annotates the definition it checks, so it gets a copy.
    const definition = validate ? structuredClone(c.definition) : c.definition;
    machine = new StateMachine(definition, { validationOptions: { noValidate: !validate } });
  } catch (err) {
    return { name: c.name, status: 'INVALID_DEFINITION', cause: err.message };
  }
  try {
    const output = await machine.run(c.input, { overrides }).result;
    return { name: c.name, status: 'SUCCEEDED', output: output ?? null };
  } catch (err) {
    if (err instanceof ExecutionError && err.cause instanceof Error) {
      return { name: c.name, status: 'FAILED', error: err.cause.name, cause: causeText(err.cause.message) };
    }
    // A failure outside the interpreter's error model (a bug in it): report it rather than crash,
    // so one case cannot hide the answers of the others.
    return { name: c.name, status: 'FAILED', error: `Interpreter.${err?.name ?? 'Error'}`, cause: String(err?.message ?? err) };
  }
}

async function main() {
  const { dir, only, validate } = parseArgs(process.argv.slice(2));
  const cases = loadCorpus(dir).filter((c) => only.size === 0 || only.has(c.name));
  const lines = [];
  // Cases run one after another: each is a few milliseconds, and the mocks' per-execution call
  // counts stay trivially separate.
  for (const c of cases) lines.push(JSON.stringify(await runCase(c, validate)));
  process.stdout.write(lines.join('\n') + (lines.length ? '\n' : ''));
}

main().catch((err) => {
  process.stderr.write(`local-sfn-batch: ${err instanceof CorpusError ? '' : 'internal error: '}${err.message}\n`);
  process.exit(2);
});
