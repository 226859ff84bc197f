import { run } from './main.js'

// Not `await run()`: a top-level await makes the bundle's entry an async module, which ncc wraps
// in a function that V8 parses twice at start-up (measured: `npm run bench -- --startup`).
// run() catches every failure itself.
void run()
