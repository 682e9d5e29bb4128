// USER and `--chown` for `build`: names are looked up in the image's /etc/passwd and /etc/group
// (read through the inspect API, without running anything); the sandbox then runs with numeric
// `uid`/`gid` and files are injected with them, so no `su` is needed in the image.
//
// Docker's rules: `USER name` runs with the user's primary group; `USER 1000` without a passwd
// entry runs with group 0. `--chown=1000` without a group uses the uid as the gid, and
// `--chown=name` the user's primary group (BuildKit's readUser).

import { ContreeError } from "../errors.ts";

export interface Identity {
  uid: number;
  gid: number;
}

export interface IdTables {
  /** name → [uid, primary gid]; uid (as text) → the same. */
  users: Map<string, [number, number]>;
  groups: Map<string, number>;
}

/** Parses /etc/passwd and /etc/group text. */
export function parseIdTables(passwd: string, group: string): IdTables {
  const users = new Map<string, [number, number]>();
  for (const line of passwd.split("\n")) {
    const [name, , uid, gid] = line.split(":");
    if (!name || !/^\d+$/.test(uid ?? "") || !/^\d+$/.test(gid ?? "")) continue;
    const entry: [number, number] = [Number(uid), Number(gid)];
    if (!users.has(name)) users.set(name, entry);
    if (!users.has(`#${uid}`)) users.set(`#${uid}`, entry);
  }
  const groups = new Map<string, number>();
  for (const line of group.split("\n")) {
    const [name, , gid] = line.split(":");
    if (name && /^\d+$/.test(gid ?? "") && !groups.has(name)) groups.set(name, Number(gid));
  }
  return { users, groups };
}

const NUMERIC = /^\d+$/;

/** True when resolving `spec` needs the image's tables (a name, or a bare numeric USER). */
export function needsTables(spec: string, forChown: boolean): boolean {
  const [user, group] = spec.split(":", 2);
  if (!NUMERIC.test(user) || (group !== undefined && !NUMERIC.test(group))) return true;
  return !forChown && group === undefined;
}

/**
 * `user[:group]` → numeric ids. `forChown` selects the `--chown` rule for a missing group after
 * a numeric user (the uid) instead of USER's (the passwd primary group, else 0).
 */
export function resolveIdentity(spec: string, tables: IdTables, forChown: boolean): Identity {
  const at = spec.indexOf(":");
  const user = at === -1 ? spec : spec.slice(0, at);
  const group = at === -1 ? undefined : spec.slice(at + 1);
  if (user === "") throw new ContreeError(`invalid user '${spec}'`);
  let uid: number;
  let primary: number | undefined;
  if (NUMERIC.test(user)) {
    uid = Number(user);
    primary = tables.users.get(`#${user}`)?.[1];
  } else {
    const entry = tables.users.get(user);
    if (!entry) throw new ContreeError(`unknown user '${user}' (not in the image's /etc/passwd)`);
    [uid, primary] = entry;
  }
  let gid: number;
  if (group !== undefined && group !== "") {
    if (NUMERIC.test(group)) gid = Number(group);
    else {
      const found = tables.groups.get(group);
      if (found === undefined) {
        throw new ContreeError(`unknown group '${group}' (not in the image's /etc/group)`);
      }
      gid = found;
    }
  } else if (forChown && NUMERIC.test(user)) {
    gid = uid;
  } else {
    gid = primary ?? 0;
  }
  return { uid, gid };
}
