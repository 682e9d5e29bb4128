import { ContreeError, UsageError } from "../../src/errors.ts";
import {
  createProject,
  listProjects,
  loadProject,
  parseProjectConfig,
  validProjectName,
} from "../../src/tasks/project.ts";
import { assertEquals, assertRejects, assertThrows } from "../support/assert.ts";

const roots = { configRoot: "/cfg", stateRoot: "/state" };
const file = "/cfg/projects/proj/project.yml";

function parse(document: unknown, home = "/home/u") {
  return parseProjectConfig(document, { file, dirName: "proj", roots, home });
}

Deno.test("a minimal project gets the defaults", () => {
  assertEquals(parse({ project: { name: "proj", image: "img:1" } }), {
    name: "proj",
    image: "img:1",
    description: undefined,
    file,
    tasksRoot: "/state/sandbox-live/tasks/proj",
    nameCategories: undefined,
    shutdownTimeout: 10,
    command: undefined,
    shell: "/bin/sh",
  });
  // The name defaults to the directory.
  assertEquals(parse({ project: { image: "img" } }).name, "proj");
});

Deno.test("every supported key", () => {
  const config = parse({
    project: { name: "proj", image: "img", description: "d" },
    tasks: { root: "~/tasks", name_categories: "food, music" },
    run: { shutdown_timeout: 0, command: ["make", "test"], shell: "/bin/bash" },
  });
  assertEquals(config.tasksRoot, "/home/u/tasks");
  assertEquals(config.nameCategories, ["food", "music"]);
  assertEquals(config.shutdownTimeout, 0);
  assertEquals(config.command, ["make", "test"]);
  assertEquals(config.shell, "/bin/bash");
  assertEquals(
    parse({ project: { image: "i" }, tasks: { root: "rel/dir" } }).tasksRoot,
    "/cfg/projects/proj/rel/dir",
  );
  assertEquals(
    parse({ project: { image: "i" }, tasks: { name_categories: [] } }).nameCategories,
    undefined,
  );
});

Deno.test("strict validation: one line naming the file and the key", () => {
  const cases: [unknown, string][] = [
    [[], "expected a mapping"],
    [{ project: { image: "i" }, hooks: {} }, "unknown key 'hooks'"],
    [{ project: { image: "i", isolation: "shared" } }, "unknown key 'project.isolation'"],
    [{ project: { image: "i" }, run: { hooks: {} } }, "unknown key 'run.hooks'"],
    [{ project: "x" }, "'project' must be a mapping"],
    [
      { project: { name: "other", image: "i" } },
      "'project.name' is 'other' but the directory is 'proj'",
    ],
    [{ project: { name: "Bad Name", image: "i" } }, "'project.name' must match"],
    [{ project: { name: "proj" } }, "'project.image' is required"],
    [{ project: { image: "a b" } }, "must not contain whitespace"],
    [{ project: { image: 3 } }, "'project.image' must be a non-empty string"],
    // An image podman would read as an option (it mounted a host directory).
    [{ project: { image: "--volume=/:/host" } }, "'project.image' must not start with '-'"],
    // Past a timer's range the wait for podman stop ended at once.
    [{ project: { image: "i" }, run: { shutdown_timeout: 1e30 } }, "from 0 to 2147423"],
    [{ project: { image: "i" }, run: { shutdown_timeout: -1 } }, "'run.shutdown_timeout' must be"],
    [{ project: { image: "i" }, run: { shutdown_timeout: 1.5 } }, "'run.shutdown_timeout' must be"],
    [
      { project: { image: "i" }, run: { shutdown_timeout: "10" } },
      "'run.shutdown_timeout' must be",
    ],
    [{ project: { image: "i" }, run: { command: [] } }, "'run.command' must be"],
    [{ project: { image: "i" }, run: { command: ["a", 1] } }, "'run.command' must be"],
    [
      { project: { image: "i" }, tasks: { name_categories: ["dinosaurs"] } },
      "unknown name category 'dinosaurs'",
    ],
    [{ project: { image: "i" }, tasks: { name_categories: 5 } }, "'tasks.name_categories' must be"],
  ];
  for (const [document, message] of cases) {
    const error = assertThrows(() => parse(document), ContreeError, message);
    assertEquals(error.message.startsWith(`${file}: `), true, error.message);
    assertEquals(error.message.includes("\n"), false);
  }
});

Deno.test("project names", () => {
  assertEquals(validProjectName("my_proj-2"), "my_proj-2");
  for (const bad of ["", "default", "-x", "X", "a/b", "..", "a".repeat(64)]) {
    assertThrows(() => validProjectName(bad), UsageError, "Invalid project name");
  }
});

Deno.test("create, load, list; refuse to overwrite without force", async () => {
  const dir = await Deno.makeTempDir();
  const roots = { configRoot: `${dir}/cfg`, stateRoot: `${dir}/state` };
  try {
    assertEquals(await listProjects(roots), []);
    await assertRejects(
      () => loadProject(roots, "proj"),
      ContreeError,
      "Project 'proj' not found (no " + `${dir}/cfg/projects/proj/project.yml). ` +
        "Create it with: contree project new proj --image IMAGE",
    );
    const created = await createProject(roots, {
      name: "proj",
      image: "localhost/x:1",
      command: "echo hi",
      nameCategories: ["food"],
      shutdownTimeout: 3,
    });
    assertEquals(await loadProject(roots, "proj"), created);
    assertEquals(created.shutdownTimeout, 3);
    await assertRejects(
      () => createProject(roots, { name: "proj", image: "y" }),
      ContreeError,
      "already exists",
    );
    assertEquals(
      (await createProject(roots, { name: "proj", image: "y", force: true })).image,
      "y",
    );
    await assertRejects(() => createProject(roots, { name: "bad", image: "a b" }), ContreeError);
    assertEquals(await listProjects(roots).then((l) => l.map((p) => p.name)), ["proj"]);

    await Deno.mkdir(`${dir}/cfg/projects/broken`);
    await Deno.writeTextFile(`${dir}/cfg/projects/broken/project.yml`, "project: [\n");
    await Deno.mkdir(`${dir}/cfg/projects/empty-dir`);
    const listed = await listProjects(roots);
    assertEquals(listed.map((p) => p.name), ["broken", "proj"]);
    assertEquals(listed[0].error?.includes("not valid YAML"), true);
    await assertRejects(() => loadProject(roots, "../x"), UsageError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
