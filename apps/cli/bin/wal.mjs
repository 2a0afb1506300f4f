#!/usr/bin/env node
// Kept outside dist/ so the link exists from install time on, before the first build.
import "../dist/main.js";
