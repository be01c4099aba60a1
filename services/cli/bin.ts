#!/usr/bin/env node
// The `tripline` executable (package.json bin). It holds signals from its first line
// (early-signals.ts has no imports) and only then loads the commands, so a SIGTERM or
// SIGHUP during start-up is acted on instead of killing the process.
import { holdEarlySignals } from './early-signals.js';

holdEarlySignals();
const { runAsEntry } = await import('./main.js');
runAsEntry();
