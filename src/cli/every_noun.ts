// Every noun's registrar module, imported by one `import()` when the whole tree is built (help,
// completion, the manual): Deno then reads them as one graph, where 20 separate `import()`s made
// `--help` ~14 ms slower (docs/BENCHMARKS.md, sixteenth pass). tests/cli/program_test.ts keeps
// this list the modules NOUNS loads.

import "./use.ts";
import "./run.ts";
import "./operation.ts";
import "./session.ts";
import "./images.ts";
import "./tag.ts";
import "./inspect.ts";
import "./cd.ts";
import "./env.ts";
import "./file.ts";
import "./shell.ts";
import "./build.ts";
import "./auth.ts";
import "./server.ts";
import "./task.ts";
import "./project.ts";
import "./completion.ts";
import "./mcp.ts";
import "./agent.ts";
import "./skill.ts";
