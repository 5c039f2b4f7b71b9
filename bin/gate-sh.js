#!/usr/bin/env node
// gate as a shell: point an agent's SHELL here; `gate-sh -c '<command>'` is `gate sh -c '<command>'`.
import '../dist/main.js';
