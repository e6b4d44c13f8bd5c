#!/usr/bin/env node
// The `countersign` command: a committed entry point (so npm links it before the build runs) that
// loads the compiled CLI.
import "../dist/cli/main.js";
