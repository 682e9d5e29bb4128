import { UsageError } from "../../src/errors.ts";
import { cryptoRandomInt } from "../../src/tasks/context.ts";
import {
  categoriesFor,
  CATEGORY_NAMES,
  generateTaskName,
  NAME_CATEGORIES,
  sanitiseTaskName,
  validTaskName,
} from "../../src/tasks/naming.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertThrows,
} from "../support/assert.ts";

Deno.test("sanitiser table (spec §3.3)", () => {
  const table: [string | null, string | null][] = [
    ["fix auth bug", "fix-auth-bug"],
    ["Fix-Auth-Bug", "fix-auth-bug"],
    ["fix@auth#bug!", "fixauthbug"],
    ["fix---auth---bug", "fix-auth-bug"],
    ["fix-bug-", "fix-bug"],
    ["-fix-bug", "-fix-bug"],
    ["  Fix__Auth  Bug!! ", "fix__auth-bug"],
    ["@#$%^&", null],
    ["42", "42"],
    ["   ", null],
    [null, null],
  ];
  for (const [input, expected] of table) {
    assertEquals(sanitiseTaskName(input), expected, `${input}`);
  }
  assertEquals(sanitiseTaskName("a".repeat(100)), "a".repeat(60));
  // Truncation comes after trailing-hyphen stripping, so a cut can end in '-'.
  assertEquals(sanitiseTaskName(`${"a".repeat(59)}-bcd`), `${"a".repeat(59)}-`);
});

Deno.test("validation rejects empty results and a leading hyphen only", () => {
  assertEquals(validTaskName("Ship It"), "ship-it");
  assertThrows(() => validTaskName("@#$"), UsageError, "Invalid task name: '@#$'");
  assertThrows(
    () => validTaskName("-my-task"),
    UsageError,
    "Invalid task name: name must not start with a hyphen",
  );
});

Deno.test("random names are adjective-noun slugs", () => {
  for (let i = 0; i < 200; i++) {
    assertMatch(generateTaskName(cryptoRandomInt, "proj"), /^[a-z]+-[a-z0-9]+$/);
  }
  for (const nouns of Object.values(NAME_CATEGORIES)) {
    for (const noun of nouns) assertMatch(noun, /^[a-z0-9]+$/);
  }
});

Deno.test("categories: project setting, else 3 stable per project, else all", () => {
  assertEquals(categoriesFor("proj", ["food"]), ["food"]);
  const a = categoriesFor("alpha");
  assertEquals(a.length, 3);
  assertEquals(categoriesFor("alpha"), a, "stable for one project");
  assert(a.every((c) => CATEGORY_NAMES.includes(c)));
  assertEquals(new Set(a).size, 3);
  const others = ["beta", "gamma", "delta", "epsilon"].map((p) => categoriesFor(p).join());
  assert(others.some((c) => c !== a.join()), "differs between projects");
  assertEquals(categoriesFor(undefined), [...CATEGORY_NAMES]);
  // Names for a project with one category come from that category.
  for (let i = 0; i < 50; i++) {
    const noun = generateTaskName(cryptoRandomInt, "proj", ["weather"]).split("-")[1];
    assert(NAME_CATEGORIES.weather.includes(noun), noun);
  }
  assertNotEquals(categoriesFor("alpha"), categoriesFor("alpha", ["music"]));
});
