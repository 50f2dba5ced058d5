import type { ProgressSink, SliceOutcome } from './context.js';
import { rowsWritten } from './totals.js';

/**
 * On a terminal: one line per endpoint, rewritten in place (slices done, pages, rows,
 * rate-limit wait), including the slice in progress. Elsewhere the runner's log lines say the
 * same, so nothing is drawn.
 */
export function terminalProgress(stream: NodeJS.WriteStream): ProgressSink {
  let current = '';
  let slicesDone = 0;
  let failed = 0;
  const done = { pages: 0, rows: 0, waitedMs: 0 };
  let running = { pages: 0, rows: 0, waitedMs: 0 };
  let lastDraw = 0;
  const draw = (force = false) => {
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    const waitedMs = done.waitedMs + running.waitedMs;
    const wait = waitedMs > 0 ? `  waited ${(waitedMs / 1000).toFixed(1)}s for rate limits` : '';
    const line = `${current.padEnd(20)} slices ${slicesDone}${failed ? ` (${failed} failed)` : ''}  pages ${done.pages + running.pages}  rows ${done.rows + running.rows}${wait}`;
    stream.write(`\r\x1b[2K${line.slice(0, Math.max(20, (stream.columns ?? 100) - 1))}`);
  };
  const finishLine = () => {
    if (current) {
      draw(true);
      stream.write('\n');
    }
  };
  return {
    sliceStart(endpoint) {
      if (endpoint !== current) {
        finishLine();
        current = endpoint;
        slicesDone = failed = 0;
        Object.assign(done, { pages: 0, rows: 0, waitedMs: 0 });
      }
      running = { pages: 0, rows: 0, waitedMs: 0 };
      draw();
    },
    page(_endpoint, _slice, totals) {
      running = totals;
      draw();
    },
    sliceEnd(_endpoint, _slice, outcome: SliceOutcome) {
      slicesDone++;
      if (outcome.status === 'failed') failed++;
      done.pages += outcome.pages;
      done.rows += rowsWritten(outcome);
      done.waitedMs += outcome.waitedMs;
      running = { pages: 0, rows: 0, waitedMs: 0 };
      draw();
    },
    done() {
      finishLine();
      current = '';
    },
  };
}
