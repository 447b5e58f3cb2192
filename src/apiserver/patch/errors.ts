// How a patch fails, as upstream's apiserver (endpoints/handlers/patch.go) answers each failure.

export type PatchErrorReason = "BadRequest" | "Invalid" | "RequestEntityTooLarge" | "UnsupportedMediaType";

/**
 * A patch that cannot be applied. `code` and `reason` are the Status upstream sends, `message` its Status message.
 * Where upstream hides the cause behind a generic message (a failing JSON Patch `test` answers 422 "the server
 * rejected our request due to an error in our request"), `detail` keeps the underlying text (e.g. "testing value
 * /spec/capacity failed: test failed") so the apiserver can add it as a Status cause: it says what to fix.
 */
export class PatchError extends Error {
  constructor(
    readonly code: 400 | 413 | 415 | 422,
    readonly reason: PatchErrorReason,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = "PatchError";
  }
}

/** errors.NewBadRequest(message) */
export const badRequest = (message: string): PatchError => new PatchError(400, "BadRequest", message);

/** errors.NewGenericServerResponse(422, …): upstream's Status message is generic; the cause travels in `detail`. */
export const unprocessable = (detail: string): PatchError =>
  new PatchError(422, "Invalid", "the server rejected our request due to an error in our request", detail);

/**
 * Strategic-merge failures upstream passes through unconverted (it answers them as 500 with the raw text, which
 * kubectl prints as "Error from server: <text>"). They come from bad input, so we answer 422 Invalid with the
 * same text as the message (no detail: kubectl then prints "The request is invalid: <text>").
 */
export const invalidPatch = (message: string): PatchError => new PatchError(422, "Invalid", message);
