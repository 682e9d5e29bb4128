// The Dockerfile parser, Docker's word expansion and the ignore-file matcher, in process.

import { ExpandError, expandWord, splitWords } from "../../src/docker/expand.ts";
import { IgnoreMatcher } from "../../src/docker/ignore.ts";
import {
  type CopyInstruction,
  DockerfileError,
  type Instruction,
  parseDockerfile,
  parseJsonArray,
  type RunInstruction,
} from "../../src/docker/parse.ts";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";

function run(ins: Instruction): RunInstruction {
  assert(ins.kind === "RUN", ins.text);
  return ins;
}

function copy(ins: Instruction): CopyInstruction {
  assert(ins.kind === "COPY" || ins.kind === "ADD", ins.text);
  return ins;
}

Deno.test("parse: stages, global ARGs, flags, forms of RUN and COPY", async () => {
  const text = [
    "# syntax=docker/dockerfile:1",
    "ARG BASE=busybox VERSION",
    "FROM ${BASE} AS Build",
    "RUN echo a \\",
    "# a comment inside the continuation",
    "  && echo b",
    'RUN ["make", "all"]',
    "RUN [not json",
    "RUN --network=none --mount=type=cache,target=/c echo net",
    "COPY --chown=1:2 --chmod=755 a b /dst/",
    'COPY ["with space", "/dst/"]',
    "FROM --platform=linux/amd64 build",
    "COPY --from=build /out /out",
    'ENV A=1 B="two words" C=x\\ y',
    "ENV LEGACY value with spaces",
    'CMD ["sh"]',
    "",
  ].join("\n");
  const df = await parseDockerfile(text);
  assertEquals(df.escape, "\\");
  assertEquals(df.globalArgs[0].args, [{ name: "BASE", defaultValue: "busybox" }, {
    name: "VERSION",
  }]);
  assertEquals(df.stages.map((s) => [s.index, s.name, s.from.image, s.from.line]), [
    [0, "build", "${BASE}", 3],
    [1, undefined, "build", 12],
  ]);
  assertEquals(df.stages[1].from.platform, "linux/amd64");
  const list = df.stages[0].instructions;
  const [shell, exec, notJson, flagged] = list.slice(0, 4).map(run);
  const [copied, json] = list.slice(4).map(copy);
  assertEquals([shell.line, shell.command], [4, { form: "shell", script: "echo a   && echo b" }]);
  assertEquals(exec.command, { form: "exec", argv: ["make", "all"] });
  assertEquals(notJson.command, { form: "shell", script: "[not json" });
  assertEquals([flagged.network, flagged.mounts], ["none", ["type=cache,target=/c"]]);
  assertEquals([copied.sources, copied.dest, copied.chown, copied.chmod], [
    ["a", "b"],
    "/dst/",
    "1:2",
    "755",
  ]);
  assertEquals([json.sources, json.dest], [["with space"], "/dst/"]);
  const [from, env, legacy, cmd] = df.stages[1].instructions;
  assertEquals(copy(from).from, "build");
  assertEquals(env.kind === "ENV" && env.pairs, [
    { name: "A", value: "1" },
    { name: "B", value: '"two words"' },
    { name: "C", value: "x\\ y" },
  ]);
  assertEquals(legacy.kind === "ENV" && legacy.pairs, [{
    name: "LEGACY",
    value: "value with spaces",
  }]);
  assertEquals([cmd.kind, cmd.kind === "METADATA" && cmd.keyword, cmd.line], [
    "METADATA",
    "CMD",
    16,
  ]);
});

Deno.test("parse: comment lines inside a RUN continuation are dropped however indented", async () => {
  const df = await parseDockerfile([
    "FROM busybox",
    "RUN apt-get install -y \\",
    "    # why this package",
    "    pkg \\",
    "",
    "  \t# and this one",
    "    other",
    "RUN echo '# kept' \\",
    "  && echo done",
    "",
  ].join("\n"));
  const [install, quoted] = df.stages[0].instructions.map(run);
  assertEquals(install.command, { form: "shell", script: "apt-get install -y     pkg     other" });
  assertEquals(quoted.command, { form: "shell", script: "echo '# kept'   && echo done" });
  const ticked = await parseDockerfile(
    ["# escape=`", "FROM busybox", "RUN echo a `", "  # note", "  b", ""].join("\n"),
  );
  assertEquals(run(ticked.stages[0].instructions[0]).command, {
    form: "shell",
    script: "echo a   b",
  });
});

Deno.test("parse: heredocs and the escape directive", async () => {
  const df = await parseDockerfile([
    "# escape=`",
    "FROM busybox",
    "RUN <<EOF",
    "echo one \\",
    "two",
    "EOF",
    "RUN cat <<-'END' > /f && echo `",
    "  done",
    "\t$HOME",
    "END",
    "COPY <<CONF /etc/app.conf",
    "port=$PORT",
    "CONF",
    "COPY <<'RAW' /raw",
    "$NOT_EXPANDED",
    "RAW",
    "",
  ].join("\n"));
  assertEquals(df.escape, "`");
  const [script, inline] = df.stages[0].instructions.slice(0, 2).map(run);
  const [conf, raw] = df.stages[0].instructions.slice(2).map(copy);
  assertEquals(script.command, { form: "heredoc", body: "echo one \\\ntwo\n" });
  assertEquals(script.text, "RUN <<EOF");
  assertEquals(inline.command.form, "shell");
  assertEquals(
    inline.command.form === "shell" && inline.command.script,
    "cat <<-'END' > /f && echo `\n  done\n\t$HOME\nEND\n",
  );
  assertEquals([conf.sources, conf.dest, conf.heredocs], [["<<CONF"], "/etc/app.conf", [{
    name: "CONF",
    body: "port=$PORT\n",
    expand: true,
  }]]);
  assertEquals(raw.heredocs[0].expand, false);
});

Deno.test("parse: errors name the file and the line", async () => {
  const cases: [string, string][] = [
    ["FROM a\nBOGUS x\n", "Dockerfile:2: unknown instruction 'BOGUS'"],
    ["FROM a\nADD --from=x a b\n", "Dockerfile:2: ADD does not support the flag --from"],
    ["FROM a\nCOPY --chown a b\n", "Dockerfile:2: --chown needs a value (--chown=…)"],
    ["FROM a\nCOPY onlyone\n", "Dockerfile:2: COPY requires at least two arguments"],
    ["FROM a\nWORKDIR\n", "Dockerfile:2: WORKDIR requires exactly one argument"],
    ["FROM a\nUSER a b\n", "Dockerfile:2: USER requires exactly one argument"],
    ["FROM a\nARG 1x\n", "Dockerfile:2: invalid ARG name '1x'"],
    ["FROM a AS 9x\n", "Dockerfile:1: invalid stage name '9x'"],
    ["FROM a\nRUN []\n", "Dockerfile:2: RUN requires at least one argument"],
    ["FROM a\nADD --checksum=md5:x http://h/f /f\n", "Dockerfile:2: --checksum must be sha256:"],
    ["ENV A=1\nFROM a\n", "Dockerfile:1: ENV before the first FROM"],
    // Was: the second one silently not applied.
    ["# escape=`\n# escape=\\\nFROM a\n", "Dockerfile:2: only one escape parser directive"],
  ];
  for (const [text, message] of cases) {
    const error = await assertRejects(() => parseDockerfile(text, "Dockerfile"));
    assert(error instanceof DockerfileError, text);
    assert(error.message.startsWith(message), `${error.message} ≠ ${message}`);
    assertEquals(error.exitCode, 1);
  }
});

Deno.test("parse: JSON arrays of strings only", () => {
  assertEquals(parseJsonArray(' ["a", "b c"] '), ["a", "b c"]);
  assertEquals(parseJsonArray("[1]"), undefined);
  assertEquals(parseJsonArray("[a]"), undefined);
  assertEquals(parseJsonArray("echo [x]"), undefined);
});

Deno.test("expand: Docker's substitution forms, quotes and escapes", () => {
  const vars: Record<string, string> = { A: "1", EMPTY: "", P: "/usr/bin" };
  const lookup = (name: string) => vars[name];
  const cases: [string, string][] = [
    ["$A", "1"],
    ["${A}x", "1x"],
    ["$A$A", "11"],
    ["$MISSING-x", "-x"],
    ["${MISSING:-dflt}", "dflt"],
    ["${EMPTY:-dflt}", "dflt"],
    ["${EMPTY-dflt}", ""],
    ["${MISSING-dflt}", "dflt"],
    ["${A:+alt}", "alt"],
    ["${EMPTY:+alt}", ""],
    ["${EMPTY+alt}", "alt"],
    ["${MISSING:-$P/x}", "/usr/bin/x"],
    ["'$A literal'", "$A literal"],
    ['"$A in double"', "1 in double"],
    ['"a \\"q\\" \\$A \\n"', 'a "q" $A \\n'],
    ["\\$A", "$A"],
    ["a\\ b", "a b"],
    ["$", "$"],
    ["cost: $5", "cost: "],
    ["trailing\\", "trailing"],
  ];
  for (const [word, expected] of cases) assertEquals(expandWord(word, lookup), expected, word);
  assertEquals(expandWord("`$A", lookup, { escape: "`" }), "$A");
  assertEquals(expandWord("'$A' \"x\"", lookup, { quotes: false }), "'1' \"x\"");
  for (const bad of ["${A", "${}", "${A/x/y}", "'open", '"open', "${MISSING:?}", "${X?gone}"]) {
    let threw = false;
    try {
      expandWord(bad, lookup);
    } catch (error) {
      threw = error instanceof ExpandError;
    }
    assert(threw, bad);
  }
});

Deno.test("expand: splitWords keeps quotes for the expander", () => {
  assertEquals(splitWords(`a=1 b="x y"  c='p q' d=e\\ f`), [
    "a=1",
    'b="x y"',
    "c='p q'",
    "d=e\\ f",
  ]);
});

Deno.test("ignore: Docker's pattern rules", () => {
  const cases: [string, Record<string, boolean>][] = [
    ["*.md", { "README.md": true, "docs/a.md": false }],
    ["docs\n!docs/keep.md", { "docs": true, "docs/a/b": true, "docs/keep.md": false }],
    ["/a/b", { "a/b": true, "a/b/c": true, "x/a/b": false }],
    ["a/**/b", { "a/b": true, "a/x/b": true, "a/x/y/b": true, "a/x/y/bc": false }],
    ["**/*.go", { "a.go": true, "x/y/a.go": true, "a.gox": false }],
    ["foo/**", { "foo": false, "foo/x": true, "foo/x/y": true }],
    ["**foo", { "xfoo": true, "a/xfoo": true, "foo": true }],
    ["*\n!keep", { "keep": false, "keep/x": false, "other": true }],
    ["a?c\n[x-z]*", { "abc": true, "a/c": false, "yes": true, "no": false }],
    ["docs/\n!docs/*.md", { "docs/a.md": false, "docs/b.txt": true }],
    ["./x/../y\n  # comment\n\n", { "y": true, "x": false }],
    ["!a\na", { "a": true }],
    ["a\n!a\na", { "a": true }],
    // Escapes (moby: a regexp match; they never matched): `#`, `!` and `*` as themselves.
    ["\\#hash\n\\!bang\na\\*b", { "#hash": true, "!bang": true, "a*b": true, "axb": false }],
  ];
  for (const [text, paths] of cases) {
    const matcher = IgnoreMatcher.parse(text);
    for (const [path, excluded] of Object.entries(paths)) {
      assertEquals(matcher.excludes(path), excluded, `${JSON.stringify(text)}: ${path}`);
    }
  }
  assert(IgnoreMatcher.parse("a\n!b").hasExceptions);
  assert(IgnoreMatcher.parse("\n# x\n").empty);
});
