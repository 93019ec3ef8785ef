#!/usr/bin/env node
// upper.js: a procpool worker in Node.js that upper-cases each task.
//
//   printf 'a\nb\n' | procpool -k -- node examples/upper.js
//
// The worker protocol (procpool(1)): one task per line on stdin, exactly one
// answer line per task on stdout, in order; exit at end of input. readline
// hands over one line at a time, and process.stdout.write passes each
// answer on at once: Node keeps no stdio buffer of its own (and writes to a
// pipe synchronously on Linux). The process exits by itself once stdin has
// ended and the last answer is written.
'use strict';
const readline = require('readline');

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  process.stdout.write(line.toUpperCase() + '\n');
});
