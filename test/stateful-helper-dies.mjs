// A helper whose worker thread dies before it posts anything (test/stateful-helpers.test.ts).
process.exit(3);
