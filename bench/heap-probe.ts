/**
 * Preloaded into a benchmark's child process (`node --expose-gc --import`): samples the V8 heap
 * in use every 20 ms (garbage included: V8 collects lazily, so this grows with the allocation
 * rate) and, every 500 ms, after a full collection (the live heap: what the process holds). As the
 * process exits it writes both peaks in bytes, `<heap> <live>`, to BENCH_HEAP_FILE.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_HEAP_FILE;
const collect = (globalThis as { gc?: () => void }).gc;
let peak = 0;
let live = 0;
const sample = () => {
  peak = Math.max(peak, process.memoryUsage().heapUsed);
};
if (file) {
  setInterval(sample, 20).unref();
  if (collect) {
    setInterval(() => {
      sample();
      collect();
      live = Math.max(live, process.memoryUsage().heapUsed);
    }, 500).unref();
  }
  process.on('exit', () => {
    sample();
    writeFileSync(file, `${peak} ${live}`);
  });
}
