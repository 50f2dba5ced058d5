import type { Logger } from 'pino';
import type { ProgressSink, SliceOutcome } from './context.js';

/**
 * On a terminal: one line per endpoint, rewritten in place (pages, rows, rate-limit wait,
 * slices done). Elsewhere the runner's log lines say the same, so nothing is drawn.
 */
export function terminalProgress(stream: NodeJS.WriteStream): ProgressSink {
  let current = '';
  let slicesDone = 0;
  let failed = 0;
  let pages = 0;
  let rows = 0;
  let waitedMs = 0;
  let lastDraw = 0;
  const draw = (force = false) => {
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    const wait = waitedMs > 0 ? `  waited ${(waitedMs / 1000).toFixed(1)}s for rate limits` : '';
    const line = `${current.padEnd(20)} slices ${slicesDone}${failed ? ` (${failed} failed)` : ''}  pages ${pages}  rows ${rows}${wait}`;
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
        slicesDone = failed = pages = rows = waitedMs = 0;
      }
      draw();
    },
    page(_endpoint, _slice, totals) {
      draw();
      void totals;
    },
    sliceEnd(_endpoint, _slice, outcome: SliceOutcome) {
      slicesDone++;
      if (outcome.status === 'failed') failed++;
      pages += outcome.pages;
      rows += outcome.inserted + outcome.updated + outcome.deleted;
      waitedMs += outcome.waitedMs;
      draw();
    },
    done() {
      finishLine();
      current = '';
    },
  };
}

/** For non-terminals: nothing extra (the runner logs one line per slice). */
export function silentProgress(_logger?: Logger): ProgressSink {
  return { sliceStart() {}, page() {}, sliceEnd() {} };
}
