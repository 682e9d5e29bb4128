import {
  deriveTag,
  expandBraces,
  importSpecs,
  normaliseRegistryUrl,
  splitTagSuffix,
} from "../../src/images/registry.ts";
import { assertEquals } from "../support/assert.ts";

Deno.test("registry refs: normalisation to docker://registry/path:tag", () => {
  assertEquals(normaliseRegistryUrl("ubuntu"), "docker://docker.io/library/ubuntu:latest");
  assertEquals(normaliseRegistryUrl("ubuntu:noble"), "docker://docker.io/library/ubuntu:noble");
  assertEquals(
    normaliseRegistryUrl("docker.io/busybox"),
    "docker://docker.io/library/busybox:latest",
  );
  assertEquals(normaliseRegistryUrl("myorg/app:1"), "docker://docker.io/myorg/app:1");
  assertEquals(normaliseRegistryUrl("ghcr.io/o/i:t"), "docker://ghcr.io/o/i:t");
  assertEquals(normaliseRegistryUrl("localhost:5000/x"), "docker://localhost:5000/x:latest");
  assertEquals(normaliseRegistryUrl("docker://quay.io/a/b:c"), "docker://quay.io/a/b:c");
  assertEquals(
    normaliseRegistryUrl("alpine@sha256:abc"),
    "docker://docker.io/library/alpine@sha256:abc",
  );
});

Deno.test("registry refs: derived tags, brace expansion, ?tag= suffix", () => {
  assertEquals(deriveTag("ghcr.io/o/i:t"), "o/i:t");
  assertEquals(deriveTag("docker://docker.io/library/ubuntu:latest"), "ubuntu:latest");
  assertEquals(deriveTag("busybox"), "busybox:latest");
  assertEquals(
    normaliseRegistryUrl("file:///images/busybox.tar.gz"),
    "file:///images/busybox.tar.gz",
  );
  assertEquals(deriveTag("file:///images/busybox.tar.gz"), "busybox:latest");
  // Every archive the local server imports loses its extension (.bz2 was kept).
  for (const name of ["r.tar", "r.tgz", "r.tar.xz", "r.tar.bz2", "r.tar.zst"]) {
    assertEquals(deriveTag(`file:///images/${name}`), "r:latest", name);
  }
  // As the reference: only a first segment with a dot is a registry host.
  assertEquals(deriveTag("docker://localhost/probe:busybox"), "localhost/probe:busybox");
  assertEquals(expandBraces("ubuntu:{latest,noble}"), ["ubuntu:latest", "ubuntu:noble"]);
  assertEquals(expandBraces("plain"), ["plain"]);
  assertEquals(splitTagSuffix("busybox?tag=bb:1"), { ref: "busybox", tag: "bb:1" });
  assertEquals(importSpecs("busybox?tag=bb", { username: "u", password: "p", timeout: 30 }), [
    {
      ref: "busybox",
      request: {
        registry: {
          url: "docker://docker.io/library/busybox:latest",
          credentials: { username: "u", password: "p" },
        },
        tag: "bb",
        timeout: 30,
      },
    },
  ]);
});
