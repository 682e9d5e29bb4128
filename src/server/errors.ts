// Errors that carry an HTTP status. Library code of the server throws them; the HTTP layer turns
// them into the API's JSON error body `{"error", "status"}` (API spec §1.7).

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers, e.g. Retry-After on 425. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export const badRequest = (message: string) => new HttpError(400, message);
export const notFound = (message: string) => new HttpError(404, message);
