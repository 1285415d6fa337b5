// Evaluates a corpus of JSONata expressions with the reference implementation
// (npm jsonata 2.0.6, the version Step Functions names) and prints one JSON line per
// case: {"name", "value"} or {"name", "undefined": true} or {"name", "error"}.
// Each case binds $states to {"input": input}, as Step Functions does for a
// state's Arguments and Output; the corpus reads its data only through $states.
import { readFileSync } from 'node:fs';
import jsonata from 'jsonata';

const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
for (const c of cases) {
  const line = { name: c.name };
  try {
    const v = await jsonata(c.expr).evaluate(c.input, { states: { input: c.input } });
    if (v === undefined) line.undefined = true;
    else line.value = v;
  } catch (e) {
    line.error = e.code || String(e.message || e);
  }
  process.stdout.write(JSON.stringify(line) + '\n');
}
