// Rewritten by scripts/compile.ts for release binaries (and restored afterwards).
// In a source checkout `release` stays false and the version is worked out at run time.
export const BUILD_INFO: { release: boolean; version: string } = { release: false, version: "" };
