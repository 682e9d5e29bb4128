// Task names (task-lifecycle spec §3.3–3.4): user input is sanitised to a slug; with no input a
// random `<adjective>-<noun>` is drawn, nouns from word categories that are stable per project.

import { UsageError } from "../errors.ts";

export const MAX_NAME_LENGTH = 60;

/**
 * Lowercase slug of `[a-z0-9_-]`: trimmed, spaces to `-`, other characters dropped, runs of
 * `-` collapsed, trailing `-` stripped, cut to 60 characters; null when nothing is left.
 * A leading `-` is kept on purpose so that validation can reject it.
 */
export function sanitiseTaskName(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const slug = raw.trim().toLowerCase().replace(/ /g, "-").replace(/[^a-z0-9_-]/g, "")
    .replace(/-+/g, "-").replace(/-+$/, "").slice(0, MAX_NAME_LENGTH);
  return slug === "" ? null : slug;
}

/** The sanitised name, or a UsageError with the spec's messages. */
export function validTaskName(raw: string): string {
  const name = sanitiseTaskName(raw);
  if (name === null) throw new UsageError(`Invalid task name: '${raw}'`);
  if (name.startsWith("-")) {
    throw new UsageError("Invalid task name: name must not start with a hyphen");
  }
  return name;
}

const ADJECTIVES = [
  "agile",
  "amber",
  "ancient",
  "bold",
  "brave",
  "bright",
  "brisk",
  "calm",
  "clever",
  "cosmic",
  "crisp",
  "curious",
  "daring",
  "dapper",
  "eager",
  "electric",
  "fearless",
  "fluffy",
  "gentle",
  "gleaming",
  "golden",
  "graceful",
  "happy",
  "hidden",
  "humble",
  "jolly",
  "keen",
  "kind",
  "lively",
  "lucky",
  "lunar",
  "mellow",
  "merry",
  "mighty",
  "misty",
  "nimble",
  "noble",
  "patient",
  "plucky",
  "polished",
  "proud",
  "quick",
  "quiet",
  "radiant",
  "rapid",
  "rustic",
  "serene",
  "shiny",
  "silent",
  "silver",
  "sleek",
  "snappy",
  "solar",
  "spry",
  "steady",
  "sturdy",
  "sunny",
  "swift",
  "talented",
  "tidy",
  "trusty",
  "vivid",
  "warm",
  "witty",
  "zesty",
];

/** Noun lists by category; keys are the values `tasks.name_categories` accepts. */
export const NAME_CATEGORIES: Readonly<Record<string, readonly string[]>> = {
  animals: [
    "badger",
    "beaver",
    "bison",
    "cheetah",
    "dolphin",
    "falcon",
    "ferret",
    "gecko",
    "heron",
    "ibex",
    "jaguar",
    "koala",
    "lemur",
    "lynx",
    "marmot",
    "narwhal",
    "ocelot",
    "otter",
    "panda",
    "puffin",
    "quokka",
    "raccoon",
    "salmon",
    "tapir",
    "toucan",
    "walrus",
    "wombat",
    "yak",
  ],
  astronomy: [
    "aurora",
    "comet",
    "corona",
    "cosmos",
    "eclipse",
    "galaxy",
    "meteor",
    "nebula",
    "nova",
    "orbit",
    "parsec",
    "planet",
    "pulsar",
    "quasar",
    "rocket",
    "saturn",
    "solstice",
    "star",
    "sunspot",
    "telescope",
    "vega",
    "zenith",
  ],
  computing: [
    "array",
    "bitmap",
    "buffer",
    "cache",
    "compiler",
    "daemon",
    "kernel",
    "lambda",
    "linker",
    "monad",
    "mutex",
    "packet",
    "parser",
    "pointer",
    "queue",
    "register",
    "router",
    "socket",
    "stack",
    "thread",
    "tensor",
    "vector",
  ],
  food: [
    "bagel",
    "biscuit",
    "brioche",
    "burrito",
    "cashew",
    "crumble",
    "dumpling",
    "falafel",
    "gnocchi",
    "hummus",
    "kimchi",
    "lasagna",
    "mango",
    "muffin",
    "noodle",
    "pancake",
    "pesto",
    "pretzel",
    "ramen",
    "risotto",
    "strudel",
    "taco",
    "waffle",
  ],
  geography: [
    "atoll",
    "bay",
    "canyon",
    "cape",
    "delta",
    "dune",
    "fjord",
    "glacier",
    "gorge",
    "island",
    "lagoon",
    "mesa",
    "oasis",
    "plateau",
    "prairie",
    "reef",
    "ridge",
    "savanna",
    "summit",
    "tundra",
    "valley",
    "volcano",
  ],
  music: [
    "anthem",
    "ballad",
    "banjo",
    "bassoon",
    "cello",
    "chord",
    "chorus",
    "fugue",
    "harp",
    "lute",
    "melody",
    "oboe",
    "opera",
    "piano",
    "rhythm",
    "sonata",
    "tempo",
    "trumpet",
    "tuba",
    "ukulele",
    "viola",
    "waltz",
  ],
  plants: [
    "acacia",
    "aspen",
    "bamboo",
    "birch",
    "cactus",
    "cedar",
    "clover",
    "cypress",
    "daisy",
    "fern",
    "ginkgo",
    "hazel",
    "juniper",
    "lotus",
    "magnolia",
    "maple",
    "orchid",
    "poppy",
    "sequoia",
    "tulip",
    "willow",
    "yarrow",
  ],
  weather: [
    "blizzard",
    "breeze",
    "cloud",
    "cyclone",
    "drizzle",
    "frost",
    "gale",
    "hail",
    "haze",
    "monsoon",
    "rainbow",
    "squall",
    "storm",
    "sunbeam",
    "thunder",
    "tornado",
    "typhoon",
    "whirlwind",
  ],
};

export const CATEGORY_NAMES: readonly string[] = Object.keys(NAME_CATEGORIES).sort();

/** How many categories a project without `tasks.name_categories` draws from. */
const DEFAULT_CATEGORY_COUNT = 3;

/**
 * The categories names are drawn from: the project's own list when set, else 3 categories
 * picked deterministically from a hash of the project name (stable per project, differs between projects),
 * else (no project) all of them.
 */
export function categoriesFor(project?: string, configured?: readonly string[]): string[] {
  if (configured && configured.length > 0) return [...configured];
  if (!project) return [...CATEGORY_NAMES];
  const pool = [...CATEGORY_NAMES];
  const picked: string[] = [];
  for (let i = 0; i < DEFAULT_CATEGORY_COUNT && pool.length > 0; i++) {
    picked.push(pool.splice(fnv1a(`${project}#${i}`) % pool.length, 1)[0]);
  }
  return picked;
}

/** 32-bit FNV-1a: a small, stable string hash (not for security). */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return hash;
}

/** A random `<adjective>-<noun>` slug, e.g. `talented-toucan`. */
export function generateTaskName(
  randomInt: (n: number) => number,
  project?: string,
  configured?: readonly string[],
): string {
  const nouns = categoriesFor(project, configured).flatMap((c) => NAME_CATEGORIES[c] ?? []);
  const pool = nouns.length > 0 ? nouns : NAME_CATEGORIES.animals;
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${pool[randomInt(pool.length)]}`;
}
