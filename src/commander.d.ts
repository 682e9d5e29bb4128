// Types of the generated src/commander.js: commander with the extra typings src/deps.ts has
// always used (the runtime is the same commander).
export * from "npm:@commander-js/extra-typings@15.1.0";
