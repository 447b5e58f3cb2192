/** Bad selector text, a bad metav1.LabelSelector, or an unsupported field label; `message` is upstream's wording.
 * The apiserver answers it with 400 BadRequest, as upstream does for list/watch/deletecollection parameters. */
export class SelectorParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SelectorParseError";
  }
}
