// Errors of the session store, in their own module so that code which only reports or catches
// them (references, commands) does not load SQLite.

import { ContreeError } from "../errors.ts";

export const NO_SESSION_MESSAGE = "No active session. Run `contree use IMAGE` to start one.\n" +
  "Agents: read `contree agent` for workflow and set a session first.";

/**
 * A store rule refused the operation (unknown branch, bad navigation target, no session, …):
 * the message alone on stderr, as the reference prints it, and exit 1.
 */
export class SessionError extends ContreeError {
  override readonly labelled = false;
}

/** The session has no current image. */
export class NoActiveSession extends SessionError {
  constructor(message = NO_SESSION_MESSAGE) {
    super(message);
  }
}

/** The database file cannot be opened, read or written. */
export class SessionDatabaseError extends ContreeError {}
