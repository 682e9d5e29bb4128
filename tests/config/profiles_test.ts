import { IniFile } from "../../src/config/ini.ts";
import {
  configPaths,
  contreeHome,
  DEFAULT_IAM_URL,
  ProfileStore,
} from "../../src/config/profiles.ts";
import { envFromRecord } from "../../src/env.ts";
import { pagePlan, paginate } from "../../src/api/paginate.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../support/assert.ts";
import { ContreeError } from "../../src/errors.ts";

Deno.test("ini: configparser dialect — DEFAULT inheritance, comments, ':' delimiters, continuations", () => {
  const ini = IniFile.parse(
    [
      "# comment",
      "[DEFAULT]",
      "profile = work",
      "",
      "[profile:work]",
      "; another comment",
      "Token = abc=def",
      "url: https://h.example/sandboxes/",
      "type = iam",
      "notes = first",
      "  second",
      "[profile:my.dotted]",
      "url = http://127.0.0.1:7680",
    ].join("\n"),
  );
  assertEquals(ini.defaults.get("profile"), "work");
  assertEquals(ini.get("profile:work", "token"), "abc=def");
  assertEquals(ini.get("profile:work", "url"), "https://h.example/sandboxes/");
  assertEquals(ini.get("profile:work", "notes"), "first\nsecond");
  assertEquals(ini.get("profile:work", "profile"), "work", "DEFAULT keys are visible in sections");
  assertEquals([...ini.sections.keys()], ["profile:work", "profile:my.dotted"]);
  assertThrows(() => IniFile.parse("no section = here\n"), SyntaxError);
});

Deno.test("ini: indentation, blank lines and header comments read as configparser reads them", () => {
  // Each expectation is what Python 3.11's configparser.ConfigParser() read from the text.
  const cases: [string, string, Record<string, Record<string, string>>][] = [
    [
      "indented keys",
      "[DEFAULT]\nprofile = refp\n\n[profile:refp]\n  token = T1\n  url = http://h\n  type = jwt\n",
      { "profile:refp": { "token": "T1", "url": "http://h", "type": "jwt" } },
    ],
    [
      "deeper continuation",
      "[s]\n  a = one\n    two\n  b = x\n",
      { "s": { "a": "one\ntwo", "b": "x" } },
    ],
    [
      "header comment ;",
      "[profile:a] ; comment\ntoken = x\nurl = http://h\n",
      { "profile:a": { "token": "x", "url": "http://h" } },
    ],
    [
      "header comment #",
      "[profile:a]   # local server\ntoken = x\n",
      { "profile:a": { "token": "x" } },
    ],
    [
      "blank inside value",
      "[s]\na = one\n\n  two\n\nb = y\n",
      { "s": { "a": "one\n\ntwo", "b": "y" } },
    ],
    [
      "comment inside value",
      "[s]\na = one\n# c\n  two\n",
      { "s": { "a": "one\ntwo" } },
    ],
    [
      "trailing blanks",
      "[s]\na = one\n  two\n\n\n[t]\nb = 1\n",
      { "s": { "a": "one\ntwo" }, "t": { "b": "1" } },
    ],
  ];
  for (const [name, text, sections] of cases) {
    const ini = IniFile.parse(text);
    const read = Object.fromEntries(
      [...ini.sections].map(([section, keys]) => [section, Object.fromEntries(keys)]),
    );
    assertEquals(read, sections, name);
    // What contree writes back reads the same (it was: indented keys became a continuation).
    const again = IniFile.parse(ini.toString());
    assertEquals(
      Object.fromEntries(again.sections.get(Object.keys(sections)[0])!),
      Object.values(sections)[0],
      `${name}, written back`,
    );
  }
  assertEquals(IniFile.parse(cases[0][1]).defaults.get("profile"), "refp");
});

Deno.test("ini: values read through configparser's interpolation; % doubled when written", () => {
  // What Python 3.11's configparser.ConfigParser().get returned for this text.
  const ini = IniFile.parse(
    "[DEFAULT]\nbase = http://h\n\n[s]\ntoken = a%%b%%%%c\nurl = %(base)s/v1\ndeep = %(URL)s?x\n",
  );
  assertEquals(Object.fromEntries(ini.sections.get("s")!), {
    token: "a%b%%c",
    url: "http://h/v1",
    deep: "http://h/v1?x",
  });
  // Where configparser would raise, the value is kept as written.
  const lenient = IniFile.parse("[s]\nlone = 50% off\nmissing = %(nope)s\nloop = %(loop)s\n");
  assertEquals(Object.fromEntries(lenient.sections.get("s")!), {
    lone: "50% off",
    missing: "%(nope)s",
    loop: "%(loop)s",
  });
  // A token with `%` is written as configparser.set would need it, and reads back the same.
  const written = new IniFile();
  written.section("profile:p").set("token", "x%y%(z)s");
  assertEquals(written.toString(), "[profile:p]\ntoken = x%%y%%(z)s\n\n");
  assertEquals(IniFile.parse(written.toString()).get("profile:p", "token"), "x%y%(z)s");
});

Deno.test("ini: serialises as configparser.write does", () => {
  const ini = new IniFile();
  ini.defaults.set("profile", "default");
  const section = ini.section("profile:default");
  section.set("token", "t");
  section.set("url", "http://x");
  assertEquals(
    ini.toString(),
    "[DEFAULT]\nprofile = default\n\n[profile:default]\ntoken = t\nurl = http://x\n\n",
  );
  assertEquals(IniFile.parse(ini.toString()).toString(), ini.toString());
});

Deno.test("CONTREE_HOME resolution: explicit, XDG, home; empty values count as unset", () => {
  assertEquals(contreeHome(envFromRecord({ CONTREE_HOME: "~/c" }), "/home/u"), "/home/u/c");
  assertEquals(
    contreeHome(envFromRecord({ CONTREE_HOME: "", XDG_CONFIG_HOME: "/x" }), "/home/u"),
    "/x/contree",
  );
  assertEquals(
    contreeHome(envFromRecord({ XDG_CONFIG_HOME: "" }), "/home/u"),
    "/home/u/.config/contree",
  );
  const paths = configPaths(envFromRecord({ CONTREE_HOME: "/c" }), "/h", "~/auth2.ini");
  assertEquals(paths, {
    home: "/c",
    authFile: "/h/auth2.ini",
    cliFile: "/c/cli.ini",
    sessionsDir: "/c/cli/sessions",
  });
});

Deno.test("profiles: auth.ini overlays cli.ini; types, default URLs, active profile", async () => {
  const home = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${home}/cli.ini`,
      "[cli]\noutput_format = json\nprofile = fromcli\n\n[profile:work]\nurl = https://from-cli\nproject = p1\n",
    );
    await Deno.writeTextFile(
      `${home}/auth.ini`,
      "[DEFAULT]\nprofile = work\n\n[profile:work]\ntoken = secret\ntype = iam\n\n[profile:iam2]\ntype = iam\ntoken = t\n\n[profile:jwt]\ntoken = j\n\n[cli]\nlog_level = debug\n",
    );
    const store = await ProfileStore.load(configPaths(envFromRecord({ CONTREE_HOME: home }), home));
    assertEquals(store.names(), ["work", "iam2", "jwt"]);
    assertEquals(store.get("work"), {
      name: "work",
      type: "iam",
      url: "https://from-cli",
      token: "secret",
      project: "p1",
    });
    assertEquals(store.get("iam2")?.url, DEFAULT_IAM_URL);
    assertEquals(store.get("jwt"), {
      name: "jwt",
      type: "jwt",
      url: "",
      token: "j",
      project: undefined,
    });
    assertEquals(store.activeName(), "work");
    assertEquals(Object.fromEntries(store.cliDefaults()), {
      output_format: "json",
      profile: "fromcli",
      log_level: "debug",
    });
    assertEquals(store.get("missing"), undefined);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("profiles: [DEFAULT] keys serve every profile, as configparser reads them", async () => {
  const home = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${home}/auth.ini`,
      "[DEFAULT]\nprofile = loc\nurl = http://127.0.0.1:7680\ntype = jwt\n\n" +
        "[profile:loc]\ntoken = t1\n\n[profile:other]\ntoken = t2\nurl = https://own\n",
    );
    const store = await ProfileStore.load(configPaths(envFromRecord({ CONTREE_HOME: home }), home));
    // Was "No URL configured for JWT profile 'loc'": only the section's own keys were read.
    assertEquals(store.get("loc")?.url, "http://127.0.0.1:7680");
    assertEquals(store.get("other")?.url, "https://own");
    assertEquals(store.names(), ["loc", "other"]);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("profiles: saving writes auth.ini with mode 0600 and keeps unknown sections", async () => {
  const home = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${home}/auth.ini`,
      "[cli]\noutput_format = json\n\n[profile:a]\ntoken = 1\nurl = http://a\n",
    );
    const store = await ProfileStore.load(configPaths(envFromRecord({ CONTREE_HOME: home }), home));
    store.set({ name: "b", type: "jwt", url: "http://b/", token: "2" });
    store.setActive("b");
    await store.save();
    const stat = await Deno.stat(`${home}/auth.ini`);
    assertEquals(stat.mode! & 0o777, 0o600);
    const text = await Deno.readTextFile(`${home}/auth.ini`);
    assertEquals(
      text,
      "[DEFAULT]\nprofile = b\n\n[cli]\noutput_format = json\n\n[profile:a]\ntoken = 1\nurl = http://a\n\n" +
        "[profile:b]\ntoken = 2\nurl = http://b\ntype = jwt\n\n",
    );
    store.remove("b");
    assertEquals(
      store.activeName(),
      "a",
      "removing the active profile activates the first remaining one",
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("pagination: limit+1 page size, first page alone, stops at the first short page", async () => {
  assertEquals(pagePlan({ limit: 5 }), { pageSize: 6, maxPages: 1 });
  assertEquals(pagePlan({}), { pageSize: 1000, maxPages: 1000 });
  assertEquals(pagePlan({ limit: 3000 }), { pageSize: 1000, maxPages: 4 });
  // `ps -M 1000`: 1001 records, two pages (was a third, never read).
  assertEquals(pagePlan({ limit: 1000 }), { pageSize: 1000, maxPages: 2 });

  const rows = Array.from({ length: 25 }, (_, i) => i);
  const requested: number[] = [];
  const fetchPage = (offset: number, limit: number) => {
    requested.push(offset);
    return Promise.resolve(rows.slice(offset, offset + limit));
  };
  const pages: number[][] = [];
  for await (const page of paginate(fetchPage, { pageSize: 10, concurrency: 3 })) pages.push(page);
  assertEquals(pages.flat(), rows);
  assertEquals(pages.map((p) => p.length), [10, 10, 5]);
  assertEquals(requested.slice(0, 1), [0]);

  // A server that ignores offset: every page is the first page. Only pages up to the first
  // short one are yielded — never duplicates from requests still in flight.
  const ignoring = (_offset: number, limit: number) =>
    Promise.resolve(rows.slice(0, Math.min(limit, 4)));
  const seen: number[][] = [];
  for await (const page of paginate(ignoring, { pageSize: 10, concurrency: 8 })) seen.push(page);
  assertEquals(seen, [[0, 1, 2, 3]]);
});

Deno.test("pagination: breaking out stops further requests; errors of abandoned pages are ignored", async () => {
  let calls = 0;
  const fetchPage = (offset: number) => {
    calls++;
    return offset >= 20
      ? Promise.reject(new Error("never observed"))
      : Promise.resolve(Array(10).fill(offset));
  };
  for await (const page of paginate(fetchPage, { pageSize: 10, concurrency: 4 })) {
    assert(page.length === 10);
    break;
  }
  assertEquals(calls, 1);
});

Deno.test("profiles: a malformed file is one line naming it and the line, once", async () => {
  const home = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${home}/auth.ini`, "[profile:a]\nurl = http://a\nnot a pair\n");
    const error = await assertRejects(
      () => ProfileStore.load(configPaths(envFromRecord({ CONTREE_HOME: home }), home)),
      ContreeError,
    );
    assertEquals(
      error.message,
      `Malformed config file ${home}/auth.ini, line 3: cannot parse "not a pair"`,
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
