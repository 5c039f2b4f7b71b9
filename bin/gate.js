#!/usr/bin/env node
// Starts the bundled CLI (built by `npm run build`, which `npm install` runs).
import '../dist/main.js';
