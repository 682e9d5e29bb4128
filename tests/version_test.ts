// The release-tag pre-check of the version string: read from the repository's files, so that a
// working tree without the tag never runs git; checked against layouts real git makes.

import { RELEASE_VERSION, releaseTagPresent } from "../src/version.ts";
import { assertEquals } from "./support/assert.ts";

const TAG = `v${RELEASE_VERSION}`;

async function git(cwd: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("git", {
    args: ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args],
    cwd,
    stdout: "null",
    stderr: "piped",
    env: { GIT_CONFIG_NOSYSTEM: "1", HOME: cwd },
  }).output();
  if (!out.success) {
    throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "contree-version-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const gitMissing = await new Deno.Command("git", { args: ["--version"], stdout: "null" }).output()
  .then((out) => !out.success, () => true);

Deno.test({
  name: "version: the release tag is found loose, packed and from a linked worktree",
  ignore: gitMissing,
  fn: () =>
    withDir(async (dir) => {
      const repo = `${dir}/repo`;
      await Deno.mkdir(repo);
      await git(repo, "init", "-q");
      await git(repo, "commit", "-q", "--allow-empty", "-m", "first");
      assertEquals(releaseTagPresent(repo), false, "no tag at all");
      await git(repo, "tag", "v0.0.9");
      assertEquals(releaseTagPresent(repo), false, "another tag");
      await git(repo, "tag", "-a", "-m", "release", TAG);
      assertEquals(releaseTagPresent(repo), true, "loose annotated tag");
      await git(repo, "pack-refs", "--all");
      assertEquals(releaseTagPresent(repo), true, "packed tag");
      await git(repo, "worktree", "add", "-q", `${dir}/linked`);
      assertEquals(releaseTagPresent(`${dir}/linked`), true, "linked worktree");
      await git(repo, "tag", "-d", TAG);
      assertEquals(releaseTagPresent(`${dir}/linked`), false, "deleted from packed-refs");
    }),
});

Deno.test("version: layouts it does not understand are left to git", () =>
  withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/.git`, "not a pointer\n");
    assertEquals(releaseTagPresent(dir), undefined, "a .git file without gitdir");
    await Deno.remove(`${dir}/.git`);
    await Deno.mkdir(`${dir}/.git/reftable`, { recursive: true });
    await Deno.mkdir(`${dir}/.git/refs/tags`, { recursive: true });
    assertEquals(releaseTagPresent(dir), undefined, "reftable refs");
    await Deno.mkdir(`${dir}/other`);
    await Deno.writeTextFile(`${dir}/other/.git`, "gitdir: elsewhere/.git\n");
    assertEquals(releaseTagPresent(`${dir}/other`), undefined, "a gitdir that is not there");
  }));
