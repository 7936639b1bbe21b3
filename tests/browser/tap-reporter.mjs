// A node:test reporter printing plain TAP 13 that meson's TAP parser reads
// cleanly: one line per top-level test, SKIP/TODO directives with their
// reason, and failure details as `#` comment lines (node's own TAP reporter
// puts them in YAML blocks whose blank lines meson 1.0 cannot parse).
//
// Usage: node --test-reporter=./tests/browser/tap-reporter.mjs FILE.mjs

function comment(text) {
  return String(text).split('\n').map((line) => `# ${line}\n`).join('');
}

function failureText(error) {
  if (!error) return 'failed';
  // node wraps the test's own error in ERR_TEST_FAILURE: show the cause.
  const cause = error.code === 'ERR_TEST_FAILURE' && error.cause ? error.cause : error;
  return cause.stack || cause.message || String(cause);
}

export default async function* tapReporter(source) {
  yield 'TAP version 13\n';
  let count = 0;
  for await (const event of source) {
    const data = event.data || {};
    switch (event.type) {
      case 'test:pass':
      case 'test:fail': {
        if (data.nesting !== 0) break;
        count++;
        const ok = event.type === 'test:pass';
        const name = String(data.name).replace(/#/g, '\\#').replace(/\n/g, ' ');
        let directive = '';
        if (data.skip !== undefined && data.skip !== false) {
          directive = ` # SKIP${typeof data.skip === 'string' ? ` ${data.skip}` : ''}`;
        } else if (data.todo !== undefined && data.todo !== false) {
          directive = ` # TODO${typeof data.todo === 'string' ? ` ${data.todo}` : ''}`;
        }
        yield `${ok ? 'ok' : 'not ok'} ${count} - ${name}${directive}\n`;
        const ms = data.details && data.details.duration_ms;
        if (typeof ms === 'number') yield `# duration ${(ms / 1000).toFixed(1)} s\n`;
        if (!ok) yield comment(failureText(data.details && data.details.error));
        break;
      }
      case 'test:diagnostic':
        // Top-level summary lines (tests, pass, fail...) and t.diagnostic().
        yield comment(data.message);
        break;
      case 'test:stdout':
      case 'test:stderr':
        // Output of the test file itself (only with --test isolation).
        yield comment(data.message.replace(/\n$/, ''));
        break;
      default:
        break;
    }
  }
  yield `1..${count}\n`;
}
