/**
 * V8 options of every process that runs the tests: the CLI children (test/support/cli.ts) and the
 * test workers (vitest.config.ts). `--liftoff-only` compiles WebAssembly with V8's baseline
 * compiler only and never again with the optimizing one. The embedded database (PGlite) is a
 * large WebAssembly module, and a process that lives seconds or minutes spends more CPU
 * optimizing it than the optimized code saves: opening PGlite costs about half the CPU, a sync of
 * the emulator into it about a fifth less. Both compilers run the same code with the same
 * results; only the CPU time differs. The product itself runs with Node's defaults.
 */
export const NODE_TEST_FLAGS = ['--liftoff-only'];
