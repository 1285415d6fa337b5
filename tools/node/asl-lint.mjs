#!/usr/bin/env node
// asl-lint: validate Amazon States Language definitions with two independent validators.
//
//   node tools/node/asl-lint.mjs statemachines/*.asl.json
//
// Each file is checked by asl-validator (JSON schema, JSONPath syntax, transitions, terminal states)
// and by amazon-states-language-service (the validator behind the AWS Toolkit's ASL editor). The
// definitions hold SAM DefinitionSubstitutions placeholders such as ${Ec2ToggleFunctionArn}; they are
// replaced by syntactically valid ARNs first, in place, so line numbers still match the file.
//
// Output: one line per finding, "file:line:column: severity: [validator] message". Exit status 1 when
// any file has an error or a warning (schema findings arrive as warnings from the language service and
// are real problems for Step Functions), 2 on usage errors.

import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import process from "node:process";

// The three packages are CommonJS; createRequire resolves them from this script's folder whatever
// the caller's working directory is.
const require = createRequire(import.meta.url);
const aslValidator = require("asl-validator");
const { getLanguageService, DiagnosticSeverity } = require("amazon-states-language-service");
const { TextDocument } = require("vscode-languageserver-textdocument");
const jsonc = require("jsonc-parser");

const PLACEHOLDER = /\$\{([A-Za-z0-9_:.]+)\}/g;

// substitute replaces every ${Name} with a Lambda function ARN, which is what a Task Resource or a
// FunctionName holds in these definitions. The replacement has no new lines, so positions stay valid.
function substitute(text) {
  return text.replace(PLACEHOLDER, (_, name) => {
    const fn = name.replace(/[^A-Za-z0-9_-]/g, "-").replace(/Arn$/, "");
    return `arn:aws:lambda:us-east-1:123456789012:function:${fn}`;
  });
}

// positionOf maps a JSON pointer ("/States/Check/Resource") to a 1-based line and column.
function positionOf(doc, tree, pointer) {
  if (!tree || !pointer) return { line: 1, column: 1 };
  const segments = pointer
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  // Walk down as far as the path exists: a "missing property" error points at its parent.
  for (let n = segments.length; n >= 0; n--) {
    const node = jsonc.findNodeAtLocation(tree, segments.slice(0, n));
    if (node) {
      const target = node.parent && node.parent.type === "property" ? node.parent : node;
      const pos = doc.positionAt(target.offset);
      return { line: pos.line + 1, column: pos.character + 1 };
    }
  }
  return { line: 1, column: 1 };
}

// pointerFor finds where an asl-validator error belongs: schema errors carry an instance path;
// transition errors only name a state in their message: an unreachable state points at itself, a
// missing target at the first StartAt/Next/Default that names it.
function pointerFor(error, definition) {
  if (error.schemaError && error.schemaError.instancePath) return error.schemaError.instancePath;
  const message = error.Message || "";
  const unreachable = /^State (\S+) is not reachable/.exec(message);
  if (unreachable) return `/States/${unreachable[1]}`;
  const missing = /target: (\S+)$/.exec(message);
  return missing ? findTransition(definition, missing[1], "") : "";
}

// findTransition returns the JSON pointer of the first StartAt, Next or Default naming target.
function findTransition(node, target, pointer) {
  if (node === null || typeof node !== "object") return "";
  for (const [key, value] of Object.entries(node)) {
    const here = `${pointer}/${String(key).replace(/~/g, "~0").replace(/\//g, "~1")}`;
    if (["StartAt", "Next", "Default"].includes(key) && value === target) return here;
    const found = findTransition(value, target, here);
    if (found) return found;
  }
  return "";
}

function severityName(severity) {
  switch (severity) {
    case DiagnosticSeverity.Error:
      return "error";
    case DiagnosticSeverity.Warning:
      return "warning";
    case DiagnosticSeverity.Information:
      return "info";
    default:
      return "hint";
  }
}

async function lintFile(file, languageService) {
  const findings = [];
  let raw;
  try {
    raw = await readFile(file, "utf8");
  } catch (err) {
    findings.push({ line: 1, column: 1, severity: "error", source: "read", message: err.message });
    return findings;
  }
  const text = substitute(raw);
  const doc = TextDocument.create(`file://${file}`, "json", 1, text);

  const parseErrors = [];
  const tree = jsonc.parseTree(text, parseErrors, { disallowComments: true, allowTrailingComma: false });
  for (const e of parseErrors) {
    const pos = doc.positionAt(e.offset);
    findings.push({
      line: pos.line + 1,
      column: pos.character + 1,
      severity: "error",
      source: "json",
      message: jsonc.printParseErrorCode(e.error),
    });
  }
  if (parseErrors.length > 0) return findings;

  const definition = JSON.parse(text);
  // asl-validator annotates the object it is given (QueryLanguage): give it a copy.
  const result = aslValidator(structuredClone(definition), { checkPaths: true, checkArn: true });
  for (const error of result.errors) {
    const pos = positionOf(doc, tree, pointerFor(error, definition));
    findings.push({
      ...pos,
      severity: "error",
      source: "asl-validator",
      message: `${error["Error code"]}: ${error.Message}`,
    });
  }

  const jsonDocument = languageService.parseJSONDocument(doc);
  const diagnostics = await languageService.doValidation(doc, jsonDocument);
  for (const d of diagnostics) {
    findings.push({
      line: d.range.start.line + 1,
      column: d.range.start.character + 1,
      severity: severityName(d.severity),
      source: "asl-language-service",
      message: d.message,
    });
  }
  return findings;
}

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node tools/node/asl-lint.mjs <definition.asl.json>...");
    return 2;
  }
  const languageService = getLanguageService({});
  let failed = false;
  for (const file of files) {
    const findings = await lintFile(file, languageService);
    findings.sort((a, b) => a.line - b.line || a.column - b.column);
    for (const f of findings) {
      console.log(`${file}:${f.line}:${f.column}: ${f.severity}: [${f.source}] ${f.message}`);
      if (f.severity === "error" || f.severity === "warning") failed = true;
    }
    if (findings.length === 0) console.log(`${file}: ok`);
  }
  return failed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
